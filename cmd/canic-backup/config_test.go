package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigValidateNamesKeyAndLine: a misspelt key and a wrong type are
// reported with the file, the line and the key.
func TestConfigValidateNamesKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "canic.toml")
	writeFile(t, cfg, "version = 1\n\n[executors.local]\ndriver = \"plugin\"\npath = \"/bin/true\"\nmax_restart = 3\n")
	r := runCLI(t, "config", "validate", "--config", cfg)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, cfg+":6: executors.local.max_restart: unknown key")

	writeFile(t, cfg, "version = 1\n\n[executors.local]\ndriver = \"plugin\"\npath = \"/bin/true\"\nmax_restarts = \"3\"\n")
	r = runCLI(t, "config", "validate", "--config", cfg)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, cfg+":6: executors.local.max_restarts: incompatible types")

	writeFile(t, cfg, "version = 1\n\n[environments.a]\nroot = \""+demoRoot+"\"\nexecutor = \"local\"\n\n[executors.local]\ndriver = \"plugin\"\npath = \"/bin/true\"\n")
	r = runCLI(t, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, cfg+": ok (1 environments, 1 executors)\n", r.stdout)

	r = runCLI(t, "config", "validate", "--config", filepath.Join(dir, "absent.toml"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "absent.toml (from --config)")
}

// TestConfigShowRedactsSecrets: config show prints the effective config
// and never a token, a password or PEM contents; identity paths stay.
func TestConfigShowRedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "id.pem")
	writeFile(t, pem, "-----BEGIN PRIVATE KEY-----\nMFECAQEwBQYDK2VwBCIEIPEMSECRET\n-----END PRIVATE KEY-----\n")
	cfg := filepath.Join(dir, "canic.toml")
	writeFile(t, cfg, `version = 1
[environments.prod]
network = "ic"
root = "`+demoRoot+`"
executor = "ext"

[executors.ext]
driver = "plugin"
path = "bin/ext"
env = { EXT_API_TOKEN = "tok-9f8e", EXT_PASSWORD = "hunter2", EXT_KEY_FILE = "`+pem+`", EXT_INLINE = "-----BEGIN PRIVATE KEY-----" }
`)
	r := runCLI(t, "config", "show", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, secret := range []string{"tok-9f8e", "hunter2", "PEMSECRET", "BEGIN"} {
		assert.NotContains(t, r.stdout, secret)
	}
	assert.Contains(t, r.stdout, pem, "identity paths are not secrets")
	assert.Contains(t, r.stdout, filepath.Join(dir, "bin/ext"), "relative plugin path resolved against the config file")
	assert.Contains(t, r.stdout, `network = "ic"`)
	assert.Equal(t, 3, strings.Count(r.stdout, "<redacted>"), r.stdout)
}

// TestConfigExampleLoads: canic.toml.example documents a valid file (its
// executors' files are created so the drivers' checks pass).
func TestConfigExampleLoads(t *testing.T) {
	dir := t.TempDir()
	example := readText(t, filepath.Join("..", "..", "canic.toml.example"))
	writeFile(t, filepath.Join(dir, "keys", "backup-operator.pem"), "not read by the config")
	cfg := filepath.Join(dir, "canic.toml")
	writeFile(t, cfg, example)
	r := runCLI(t, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "(3 environments, 3 executors, 2 stores)")
	assert.Contains(t, r.stdout, "store offsite: s3://canic-backups/prod/ (store of prod)\n")
	assert.Contains(t, r.stdout, "store local: dir:"+filepath.Join(dir, "backups")+"\n")
}

// TestConfigRootKeyRuleNamesFileFieldAndValue: the mainnet root key is only
// assumed for the IC's own URLs; an agent URL elsewhere without root_key,
// or with root_key = "mainnet", is an error naming the file, the line, the
// field, the value and the key to set (issue 16).
func TestConfigRootKeyRuleNamesFileFieldAndValue(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "canic.toml")
	head := "version = 1\n\n[environments.a]\nroot = \"" + demoRoot + "\"\nexecutor = \"x\"\n\n[executors.x]\ndriver = \"agent\"\n"
	writeFile(t, cfg, head+"url = \"http://127.0.0.1:4943\"\n")
	r := runCLI(t, "config", "validate", "--config", cfg)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, cfg+":")
	assert.Contains(t, r.stderr, `executors.x: agent executor setting root_key = "": is not set, and url http://127.0.0.1:4943 is not one of the IC's own`)
	assert.Contains(t, r.stderr, `set root_key = "fetch"`)

	writeFile(t, cfg, head+"url = \"https://replica.example.org\"\nroot_key = \"mainnet\"\n")
	r = runCLI(t, "config", "validate", "--config", cfg)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, cfg+":10: executors.x: agent executor setting root_key = \"mainnet\": the IC mainnet root key is only for the IC's own URLs")

	writeFile(t, cfg, head+"url = \"https://icp-api.io\"\n")
	r = runCLI(t, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
}
