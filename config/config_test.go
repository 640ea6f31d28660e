package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/config"
)

// fakeSettings stands in for a built-in driver's settings.
type fakeSettings struct {
	URL         string            `toml:"url"`
	IdentityPEM string            `toml:"identity_pem"`
	Concurrency int               `toml:"concurrency"`
	Timeout     time.Duration     `toml:"timeout"`
	AuthToken   string            `toml:"auth_token"`
	Env         map[string]string `toml:"env"`
}

func drivers() config.Drivers {
	return config.Drivers{"fake": {
		NewSettings: func() any { return &fakeSettings{} },
		Prepare: func(s any, base string) error {
			fs := s.(*fakeSettings)
			if fs.IdentityPEM != "" && !filepath.IsAbs(fs.IdentityPEM) {
				fs.IdentityPEM = filepath.Join(base, fs.IdentityPEM)
			}
			if fs.Concurrency == 0 {
				fs.Concurrency = 4
			}
			if fs.Concurrency > 64 {
				return fmt.Errorf("invalid settings: concurrency = %q: must be at most 64", fmt.Sprint(fs.Concurrency))
			}
			return nil
		},
	}}
}

const root = "uxrrr-q7777-77774-qaaaq-cai"

const good = `version = 1
default_environment = "prod"

[environments.prod]
network = "ic"
root = "uxrrr-q7777-77774-qaaaq-cai"
executor = "fast"

[environments.dev]
root = "uxrrr-q7777-77774-qaaaq-cai"
executor = "ext"
fleet = "demo"

[executors.fast]
driver = "fake"
url = "http://127.0.0.1:4943"
identity_pem = "keys/id.pem"
timeout = "90s"
auth_token = "s3cr3t"
env = { HOME_DIR = "/x", API_TOKEN = "tok-123" }

[executors.ext]
driver = "plugin"
path = "bin/plugin"
sha256 = "AB00000000000000000000000000000000000000000000000000000000000000"
args = ["--x=1"]
env.PLUGIN_PASSWORD = "hunter2"
env.PLUGIN_ROOT = "/srv"
`

func load(t *testing.T, text string) (*config.Config, error) {
	t.Helper()
	return config.Load("/etc/cb/canic.toml", []byte(text), drivers())
}

func TestLoadGood(t *testing.T) {
	cfg, err := load(t, good)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "prod"}, cfg.EnvironmentNames())
	dev := cfg.Environments["dev"]
	assert.Equal(t, "local", dev.Network, "network defaults to local")
	assert.Equal(t, "demo", dev.Fleet)
	assert.Equal(t, "prod", cfg.Environments["prod"].Fleet, "fleet defaults to the environment name")
	assert.Equal(t, 4, cfg.Environments["prod"].Line)

	fast := cfg.Executors["fast"]
	fs := fast.Settings.(*fakeSettings)
	assert.Equal(t, "/etc/cb/keys/id.pem", fs.IdentityPEM, "relative paths resolve against the config's directory")
	assert.Equal(t, 4, fs.Concurrency)
	assert.Equal(t, 90*time.Second, fs.Timeout)

	ext := cfg.Executors["ext"]
	require.NotNil(t, ext.Plugin)
	assert.Equal(t, "/etc/cb/bin/plugin", ext.Plugin.Path)
	assert.Equal(t, strings.Repeat("0", 62), ext.Plugin.SHA256[2:])
	assert.Equal(t, "ab", ext.Plugin.SHA256[:2], "pin lower-cased")
	assert.Equal(t, "/srv", ext.Plugin.Env["PLUGIN_ROOT"])
}

func TestLoadErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"unknown executor key", strings.Replace(good, `url = "http`, `urll = "http`, 1),
			`/etc/cb/canic.toml:16: executors.fast.urll: unknown key`},
		{"unknown top-level key", "version = 1\nverbose = true\n", `/etc/cb/canic.toml:2: verbose: unknown key`},
		{"unknown environment key", strings.Replace(good, `fleet = "demo"`, `flet = "demo"`, 1),
			`/etc/cb/canic.toml:12: environments.dev.flet: unknown key`},
		{"unknown table", good + "\n[executor.x]\ndriver = \"fake\"\n", `:30: executor.x: unknown key`},
		{"wrong type", strings.Replace(good, `timeout = "90s"`, `timeout = true`, 1), `:18: executors.fast.timeout: incompatible types`},
		{"wrong type int", strings.Replace(good, `driver = "fake"`, "driver = \"fake\"\nconcurrency = \"many\"", 1), `:16: executors.fast.concurrency: incompatible types`},
		{"syntax", "version = 1\nroot = \n", `/etc/cb/canic.toml:2: `},
		{"missing version", "[executors.a]\ndriver = \"plugin\"\npath = \"x\"\n", `version: is missing`},
		{"bad version", "version = 2\n", `:1: version: is 2`},
		{"unknown driver", strings.Replace(good, `driver = "fake"`, `driver = "fak"`, 1), `:15: executors.fast.driver: "fak" is not a driver; use "fake" | "plugin"`},
		{"bad root", strings.Replace(good, "network = \"ic\"\nroot = \"uxrrr", "network = \"ic\"\nroot = \"Zxrrr", 1), `:6: environments.prod.root: "Zxrrr`},
		{"bad executor ref", strings.Replace(good, `executor = "ext"`, `executor = "nope"`, 1), `:11: environments.dev.executor: "nope" is not an [executors.nope] table (have: ext, fast)`},
		{"driver validation", strings.Replace(good, `timeout = "90s"`, "timeout = \"90s\"\nconcurrency = 100", 1), `:19: executors.fast: invalid settings: concurrency = "100"`},
		{"bad pin", strings.Replace(good, `sha256 = "AB`, `sha256 = "XB`, 1), `:25: executors.ext.sha256: "xb000`},
		{"bad default env", strings.Replace(good, `default_environment = "prod"`, `default_environment = "stage"`, 1), `:2: default_environment: "stage" is not`},
		{"missing path", strings.Replace(good, `path = "bin/plugin"`, ``, 1), `:22: executors.ext.path: is missing`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.ErrorIs(t, err, config.ErrInvalid)
		})
	}
}

func TestSelectPrecedence(t *testing.T) {
	cfg, err := load(t, good)
	require.NoError(t, err)
	env := map[string]string{}
	lk := config.Lookup{Getenv: func(k string) string { return env[k] }}

	e, src, err := cfg.Select("", lk)
	require.NoError(t, err)
	assert.Equal(t, "prod", e.Name)
	assert.Equal(t, config.SourceFile, src)

	env[config.EnvEnvironment] = "dev"
	e, src, err = cfg.Select("", lk)
	require.NoError(t, err)
	assert.Equal(t, "dev", e.Name)
	assert.Equal(t, config.SourceEnv, src)

	e, src, err = cfg.Select("prod", lk)
	require.NoError(t, err)
	assert.Equal(t, "prod", e.Name)
	assert.Equal(t, config.SourceFlag, src)

	_, _, err = cfg.Select("nope", lk)
	require.ErrorIs(t, err, config.ErrNoEnvironment)
	assert.Contains(t, err.Error(), `"nope" (from flag) is not defined in /etc/cb/canic.toml (have: dev, prod)`)

	cfg.DefaultEnvironment = ""
	delete(env, config.EnvEnvironment)
	_, _, err = cfg.Select("", lk)
	require.ErrorIs(t, err, config.ErrNoEnvironment)
	assert.Contains(t, err.Error(), "pass --env NAME")

	assert.Len(t, cfg.Match("ic", root), 1)
	assert.Len(t, cfg.Match("local", root), 1)
	assert.Empty(t, cfg.Match("ic", "aaaaa-aa"))
}

func TestFindFilePrecedence(t *testing.T) {
	wd, user := t.TempDir(), t.TempDir()
	env := map[string]string{}
	lk := config.Lookup{Getenv: func(k string) string { return env[k] }, WorkDir: wd, UserConfigDir: user}

	_, _, err := config.FindFile("", lk)
	require.ErrorIs(t, err, config.ErrNotFound)
	assert.Contains(t, err.Error(), filepath.Join(wd, "canic.toml"))

	userFile := filepath.Join(user, "canic-backup", "canic.toml")
	require.NoError(t, os.MkdirAll(filepath.Dir(userFile), 0o755))
	require.NoError(t, os.WriteFile(userFile, []byte(good), 0o644))
	p, src, err := config.FindFile("", lk)
	require.NoError(t, err)
	assert.Equal(t, userFile, p)
	assert.Equal(t, config.SourceDefault, src)

	wdFile := filepath.Join(wd, "canic.toml")
	require.NoError(t, os.WriteFile(wdFile, []byte(good), 0o644))
	p, _, err = config.FindFile("", lk)
	require.NoError(t, err)
	assert.Equal(t, wdFile, p, "./canic.toml before the user config dir")

	env[config.EnvConfig] = userFile
	p, src, err = config.FindFile("", lk)
	require.NoError(t, err)
	assert.Equal(t, userFile, p)
	assert.Equal(t, config.SourceEnv, src)

	p, src, err = config.FindFile(wdFile, lk)
	require.NoError(t, err)
	assert.Equal(t, wdFile, p)
	assert.Equal(t, config.SourceFlag, src)

	_, _, err = config.FindFile(filepath.Join(wd, "absent.toml"), lk)
	require.ErrorIs(t, err, config.ErrNotFound)
	assert.Contains(t, err.Error(), "absent.toml (from --config)")

	cfg, err := config.LoadFile(wdFile, drivers())
	require.NoError(t, err)
	assert.Equal(t, wdFile, cfg.Path)
	_, err = config.LoadFile(filepath.Join(wd, "absent.toml"), drivers())
	require.True(t, errors.Is(err, config.ErrNotFound))
}

func TestRenderRedactsSecrets(t *testing.T) {
	cfg, err := load(t, good)
	require.NoError(t, err)
	cfg.Executors["fast"].Settings.(*fakeSettings).URL = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
	out, err := cfg.Render(nil)
	require.NoError(t, err)
	s := string(out)
	for _, secret := range []string{"s3cr3t", "tok-123", "hunter2", "BEGIN", "AAAA"} {
		assert.NotContains(t, s, secret)
	}
	for _, kept := range []string{"/etc/cb/keys/id.pem", "/srv", `HOME_DIR = "/x"`, "concurrency = 4", `driver = "plugin"`, "version = 1"} {
		assert.Contains(t, s, kept)
	}
	assert.Contains(t, s, config.Redacted)
	// The rendered config loads again (redacted values are plain strings).
	_, err = load(t, s)
	require.NoError(t, err)

	prod := cfg.Environments["prod"]
	out, err = cfg.Render(&prod)
	require.NoError(t, err)
	assert.NotContains(t, string(out), "[environments.dev]")
	assert.NotContains(t, string(out), "[executors.ext]")
	assert.Contains(t, string(out), "[executors.fast]")
}
