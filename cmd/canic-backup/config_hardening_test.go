package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agentConfig is a canic.toml with one agent executor of url and pem.
func agentConfig(t *testing.T, url, pem string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "canic.toml")
	writeFile(t, cfg, `version = 1
[environments.a]
network = "local"
root = "`+demoRoot+`"
executor = "ag"

[executors.ag]
driver = "agent"
url = "`+url+`"
root_key = "fetch"
identity_pem = "`+pem+`"
`)
	return cfg
}

// testPEM writes a PEM file with mode perm and returns its path.
func testPEM(t *testing.T, perm os.FileMode) string {
	t.Helper()
	pem := filepath.Join(t.TempDir(), "id.pem")
	writeFile(t, pem, "-----BEGIN PRIVATE KEY-----\nMFECAQEwBQYDK2VwBCIEIPEMSECRET\n-----END PRIVATE KEY-----\n")
	require.NoError(t, os.Chmod(pem, perm))
	return pem
}

// TestAgentURLWithCredentialsIsRefused: a user:password@ in the agent's
// url is refused by config validate and config show, as an S3 endpoint's
// is, naming the file, the field and the URL with its password redacted.
func TestAgentURLWithCredentialsIsRefused(t *testing.T) {
	cfg := agentConfig(t, "http://user:s3cret@127.0.0.1:4943", testPEM(t, 0o600))
	for _, cmd := range []string{"validate", "show"} {
		r := runCLI(t, "config", cmd, "--config", cfg)
		assert.Equal(t, exitFailure, r.code, "config %s: %s", cmd, r.stdout)
		assert.Contains(t, r.stderr, cfg+":")
		assert.Contains(t, r.stderr, `url = "http://user:xxxxx@127.0.0.1:4943"`)
		assert.Contains(t, r.stderr, "credentials")
		assert.NotContains(t, r.stderr+r.stdout, "s3cret")
	}
}

// TestConfigShowPrintsRealDefaults: config show says defaults are filled
// in; an agent executor without a concurrency key shows the engine's
// default, not 0.
func TestConfigShowPrintsRealDefaults(t *testing.T) {
	cfg := agentConfig(t, "http://127.0.0.1:4943", testPEM(t, 0o600))
	r := runCLI(t, "config", "show", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "defaults filled in")
	assert.Contains(t, r.stdout, "\n    concurrency = 8\n")
	assert.NotContains(t, r.stdout, "= 0\n")
}

// TestReadableIdentityPEMWarns: an identity_pem that other users can read
// gets a warning naming the file, its mode and the fix, never its
// contents; an owner-only one gets none.
func TestReadableIdentityPEMWarns(t *testing.T) {
	pem := testPEM(t, 0o644)
	cfg := agentConfig(t, "http://127.0.0.1:4943", pem)
	r := runCLI(t, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "warning: "+cfg+": executors.ag.identity_pem "+pem+" can be read by other users (mode 0644); run `chmod 600 "+pem+"`")
	assert.NotContains(t, r.stderr+r.stdout, "PEMSECRET")

	require.NoError(t, os.Chmod(pem, 0o600))
	r = runCLI(t, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "warning")
}
