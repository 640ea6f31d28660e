package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
)

// storeVarsEnv is a test env whose getenv reads vars (HOME and
// XDG_CONFIG_HOME point at an empty temp dir unless vars set them, so no
// user config file is found).
func storeVarsEnv(t *testing.T, vars map[string]string) (env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	home := t.TempDir()
	var out, errOut bytes.Buffer
	return env{
		stdout: &out, stderr: &errOut,
		getenv: func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			switch k {
			case "HOME":
				return home
			case "XDG_CONFIG_HOME":
				return filepath.Join(home, ".config")
			}
			return ""
		},
		now: func() time.Time { return goldenNow },
	}, &out, &errOut
}

// runStoreCLI runs the CLI in-process with environment variables vars.
func runStoreCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	e, out, errOut := storeVarsEnv(t, vars)
	code := run(context.Background(), append([]string{"canic-backup"}, args...), e)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// selectStoreWith runs selectStore inside a minimal app with --config,
// --env and --store, passing envr (nil: the command has no environment).
func selectStoreWith(t *testing.T, vars map[string]string, envr *config.Environment, args ...string) (*storeChoice, error) {
	t.Helper()
	e, _, _ := storeVarsEnv(t, vars)
	var sc *storeChoice
	var selErr error
	app := &cli.App{
		Flags: []cli.Flag{configFlag(), envFlag(), storeFlag()},
		Action: func(c *cli.Context) error {
			sc, selErr = selectStore(c, e, nil, envr)
			return nil
		},
	}
	require.NoError(t, app.Run(append([]string{"x"}, args...)))
	return sc, selErr
}

// storeSelectConfig writes a config with dir stores a, b and c; prod
// (the default environment) uses c, dev none.
func storeSelectConfig(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "canic.toml")
	writeFile(t, path, `version = 1
default_environment = "prod"

[environments.prod]
root = "aaaaa-aa"
executor = "x"
store = "c"

[environments.dev]
root = "aaaaa-aa"
executor = "x"

[executors.x]
driver = "plugin"
path = "/bin/true"

[stores.a]
kind = "dir"
path = "store-a"

[stores.b]
kind = "dir"
path = "/srv/store-b"

[stores.c]
kind = "dir"
path = "store-c"
`)
	return dir, path
}

// TestSelectStorePrecedence: --store beats $CANIC_BACKUP_STORE beats the
// environment's store key (the one passed in, or the config's selected
// environment when the command has none); nothing named is no store.
func TestSelectStorePrecedence(t *testing.T) {
	dir, cfg := storeSelectConfig(t)
	byVar := map[string]string{envStore: "b"}

	sc, err := selectStoreWith(t, byVar, nil, "--config", cfg, "--store", "a")
	require.NoError(t, err)
	assert.Equal(t, "a", sc.Name, "flag beats the variable")
	assert.Equal(t, filepath.Join(dir, "store-a"), sc.Dir(), "relative path resolved against the config's dir")
	assert.False(t, sc.Remote())
	assert.Equal(t, filepath.Join(dir, "store-a", "fleet-x"), sc.URL("fleet-x"))
	assert.Equal(t, "dir:"+filepath.Join(dir, "store-a"), sc.Store.String())

	sc, err = selectStoreWith(t, byVar, nil, "--config", cfg)
	require.NoError(t, err)
	assert.Equal(t, "b", sc.Name, "the variable beats the environment")
	assert.Equal(t, "/srv/store-b", sc.Dir())

	sc, err = selectStoreWith(t, nil, nil, "--config", cfg)
	require.NoError(t, err)
	assert.Equal(t, "c", sc.Name, "the selected environment's store")

	sc, err = selectStoreWith(t, map[string]string{config.EnvConfig: cfg}, nil)
	require.NoError(t, err)
	assert.Equal(t, "c", sc.Name, "config found through $CANIC_BACKUP_CONFIG")

	sc, err = selectStoreWith(t, nil, nil, "--config", cfg, "--env", "dev")
	require.NoError(t, err)
	assert.Nil(t, sc, "an environment without a store: none")

	dev := config.Environment{Name: "dev"}
	sc, err = selectStoreWith(t, nil, &dev, "--config", cfg)
	require.NoError(t, err)
	assert.Nil(t, sc, "the given environment decides, not the default one")

	withStore := config.Environment{Name: "dev", Store: "a"}
	sc, err = selectStoreWith(t, nil, &withStore, "--config", cfg)
	require.NoError(t, err)
	assert.Equal(t, "a", sc.Name)
	sc, err = selectStoreWith(t, byVar, &withStore, "--config", cfg)
	require.NoError(t, err)
	assert.Equal(t, "b", sc.Name, "the variable beats the given environment")

	_, err = selectStoreWith(t, nil, nil, "--config", cfg, "--store", "nope")
	require.ErrorIs(t, err, errUnknownStore)
	assert.EqualError(t, err, `unknown store: "nope" (from --store) is not a [stores.nope] table in `+cfg+` (have: a, b, c)`)
	_, err = selectStoreWith(t, map[string]string{envStore: "zz"}, nil, "--config", cfg)
	assert.ErrorContains(t, err, `"zz" (from $CANIC_BACKUP_STORE) is not a [stores.zz] table`)
}

// TestSelectStoreWithoutConfig: with no config file and nothing named
// there is no store (today's behaviour); a named store needs the config;
// an invalid config is an error even when it would only be read for the
// environment's store.
func TestSelectStoreWithoutConfig(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./canic.toml
	sc, err := selectStoreWith(t, nil, nil)
	require.NoError(t, err)
	assert.Nil(t, sc)

	_, err = selectStoreWith(t, nil, nil, "--store", "offsite")
	require.ErrorIs(t, err, config.ErrNotFound)
	assert.ErrorContains(t, err, `store "offsite" (from --store) needs the config file defining [stores.offsite]: config file not found`)

	_, err = selectStoreWith(t, nil, nil, "--config", filepath.Join(t.TempDir(), "absent.toml"))
	require.ErrorIs(t, err, config.ErrNotFound, "a config named by --config must exist")

	bad := filepath.Join(t.TempDir(), "canic.toml")
	writeFile(t, bad, "version = 1\n[stores.x]\nkind = \"tape\"\n")
	_, err = selectStoreWith(t, nil, nil, "--config", bad)
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.ErrorContains(t, err, bad+`:3: stores.x.kind: "tape": unknown kind`)
}

// TestUserCacheDir: $XDG_CACHE_HOME, else $HOME/.cache, else an error.
func TestUserCacheDir(t *testing.T) {
	e, _, _ := storeVarsEnv(t, map[string]string{"XDG_CACHE_HOME": "/c", "HOME": "/h"})
	d, err := userCacheDir(e)
	require.NoError(t, err)
	assert.Equal(t, "/c", d)
	e, _, _ = storeVarsEnv(t, map[string]string{"HOME": "/h"})
	d, err = userCacheDir(e)
	require.NoError(t, err)
	assert.Equal(t, "/h/.cache", d)
	e, _, _ = storeVarsEnv(t, map[string]string{"HOME": ""})
	_, err = userCacheDir(e)
	assert.ErrorContains(t, err, "set $XDG_CACHE_HOME or $HOME")
}

// TestConfigShowStores: config show prints the stores and the
// environment's store key; --env narrows the stores to its own.
func TestConfigShowStores(t *testing.T) {
	dir, cfg := storeSelectConfig(t)
	r := runStoreCLI(t, map[string]string{envStore: "a"}, "config", "show", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, want := range []string{"[stores.a]", "[stores.b]", "[stores.c]", `path = "` + filepath.Join(dir, "store-c") + `"`,
		`store = "c"`, `# $CANIC_BACKUP_STORE = "a" selects the store`, "never from this file"} {
		assert.Contains(t, r.stdout, want)
	}
	r = runStoreCLI(t, nil, "config", "show", "--config", cfg, "--env", "prod")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "[stores.c]")
	assert.NotContains(t, r.stdout, "[stores.a]")

	r = runStoreCLI(t, nil, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, cfg+": ok (2 environments, 1 executors, 3 stores)\n"+
		"store a: dir:"+filepath.Join(dir, "store-a")+"\n"+
		"store b: dir:/srv/store-b\n"+
		"store c: dir:"+filepath.Join(dir, "store-c")+" (store of prod)\n", r.stdout)
}
