package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/examples/localdir/store"
)

// localFleet seeds a localdir fleet of three canisters (root, app,
// user_hub), all controlled by the plugin's identity, and returns it.
func localFleet(t *testing.T, root string) store.Demo {
	t.Helper()
	d, err := store.SeedDemo(root, 200_000)
	require.NoError(t, err)
	// Turn the demo's foreign canister into the fleet's third member.
	var c store.Canister
	path := filepath.Join(root, "canisters", d.Foreign, "canister.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, wire.Unmarshal(b, &c))
	c.Controllers = []string{d.Identity, d.Root}
	b, err = wire.MarshalPretty(c)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))

	var f store.Fleet
	b, err = os.ReadFile(filepath.Join(root, "fleet.json"))
	require.NoError(t, err)
	require.NoError(t, wire.Unmarshal(b, &f))
	parent := d.Root
	f.Registry = append(f.Registry, store.RegistryEntry{PID: d.Foreign, Role: "user_hub", ParentPID: &parent, CreatedAt: 1_700_000_200})
	b, err = wire.MarshalPretty(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "fleet.json"), b, 0o644))
	return d
}

// localdirConfig writes a canic.toml with environment "local" served by
// the localdir plugin at bin over root; extra lines go into the executor
// table.
func localdirConfig(t *testing.T, path, bin, fleetRoot, rootID string, extra ...string) {
	t.Helper()
	body := `version = 1
default_environment = "local"

[environments.local]
network = "local"
root = "` + rootID + `"
executor = "localdir"
fleet = "demo"

[executors.localdir]
driver = "plugin"
path = "` + bin + `"
` + strings.Join(extra, "\n") + `
[executors.localdir.env]
LOCALDIR_ROOT = "` + fleetRoot + `"
`
	writeFile(t, path, body)
}

// runApp runs the CLI in-process with the real clock and the test-built
// canic-backup as the built-in plugin server; getenv reads vars.
func runApp(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{
		stdout:     &out,
		stderr:     &errOut,
		getenv:     func(k string) string { return vars[k] },
		now:        time.Now,
		executable: func() (string, error) { return canicBin, nil },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, append([]string{"canic-backup"}, args...), e)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestBackupCreateThroughLocaldirPlugin: a full backup of a three-canister
// fleet through the example plugin, chosen by a config file, verifies.
func TestBackupCreateThroughLocaldirPlugin(t *testing.T) {
	base := t.TempDir()
	fleetRoot := filepath.Join(base, "fleet")
	d := localFleet(t, fleetRoot)
	cfg := filepath.Join(base, "canic.toml")
	localdirConfig(t, cfg, localdirV1, fleetRoot, d.Root)

	r := runApp(t, nil, "plugins", "list", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `localdir\s+plugin\s+localdir\s+\S+\s+1\s+\S*registry`, r.stdout)

	out := filepath.Join(base, "backup")
	r = runApp(t, nil, "backup", "create", "--config", cfg, "--env", "local", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `demo\s+local\s+execute\s+complete\s+non-root-fleet\s+2\s+\d+\s+\d+\s+`+regexpQuote(out), r.stdout)

	r = runApp(t, nil, "backup", "verify", "--dir", out)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	for _, id := range []string{d.App, d.Foreign} {
		_, err := os.Stat(filepath.Join(out, id, "wasm_memory.bin"))
		assert.NoError(t, err, "artifact of %s", id)
	}
	calls, err := store.ReadCalls(fleetRoot)
	require.NoError(t, err)
	methods := map[string]int{}
	for _, c := range calls {
		methods[c.Method]++
	}
	assert.Equal(t, 2, methods["DownloadSnapshot"])
	assert.Equal(t, 2, methods["StartCanister"])
}

// TestBackupCreateDefaultOutDirAndDryRun: without --out the backup goes to
// backups/fleet-<fleet>-<UTC stamp> under the working directory, as in
// 0.35.1; --dry-run plans without touching a canister.
func TestBackupCreateDefaultOutDirAndDryRun(t *testing.T) {
	base := t.TempDir()
	fleetRoot := filepath.Join(base, "fleet")
	d := localFleet(t, fleetRoot)
	cfg := filepath.Join(base, "canic.toml")
	localdirConfig(t, cfg, localdirV1, fleetRoot, d.Root)
	t.Chdir(base)
	before := time.Now().UTC()
	r := runApp(t, map[string]string{"CANIC_BACKUP_CONFIG": cfg}, "backup", "create", "--dry-run", "--subtree", "app")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "dry-run   planned   subtree:"+d.App)
	entries, err := os.ReadDir(filepath.Join(base, "backups"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	name := entries[0].Name()
	assert.True(t, strings.HasPrefix(name, "fleet-demo-"+before.Format("20060102-")), name)
	calls, err := store.ReadCalls(fleetRoot)
	require.NoError(t, err)
	for _, c := range calls {
		assert.Contains(t, []string{"Info", "QueryRegistry"}, c.Method, "a dry run only reads")
	}
}

// TestPluginCrashDuringDownloadThenResume: the plugin dies (exit status 3)
// when a download reaches it; the operation fails naming the executor and
// the exit status, the failure is in the journal, the plugin is started
// again for the compensating starts, and `backup resume --retry-failed`
// completes a backup that verifies.
func TestPluginCrashDuringDownloadThenResume(t *testing.T) {
	base := t.TempDir()
	fleetRoot := filepath.Join(base, "fleet")
	d := localFleet(t, fleetRoot)
	cfg := filepath.Join(base, "canic.toml")
	localdirConfig(t, cfg, localdirV1, fleetRoot, d.Root)
	crashCfg := filepath.Join(base, "crash.toml")
	writeFile(t, crashCfg, strings.Replace(readText(t, cfg), "[executors.localdir.env]\n", "[executors.localdir.env]\nLOCALDIR_CRASH_ON = \"DownloadSnapshot\"\n", 1))

	out := filepath.Join(base, "backup")
	r := runApp(t, nil, "backup", "create", "--config", crashCfg, "--out", out)
	require.Equal(t, exitFailure, r.code, r.stdout)
	assert.Contains(t, r.stderr, `executor "localdir": plugin process exited during DownloadSnapshot (exit status 3)`)
	assert.Contains(t, r.stderr, "backup resume --dir "+out)
	assert.Contains(t, r.stdout, "failed")
	journal := readText(t, filepath.Join(out, "backup-execution-journal.json"))
	assert.Contains(t, journal, `plugin process exited during DownloadSnapshot (exit status 3)`, "the failure is recorded in the journal")

	// The next operation on the same client starts the plugin again.
	loaded, err := config.LoadFile(crashCfg, builtinDrivers())
	require.NoError(t, err)
	client, err := executorClient(env{getenv: func(string) string { return "" }, stderr: io.Discard}, loaded.Executors["localdir"])
	require.NoError(t, err)
	defer client.Close()
	ctx := context.Background()
	first, err := client.Info(ctx)
	require.NoError(t, err)
	_, err = client.DownloadSnapshot(ctx, pluginapi.Target{Network: "local", CanisterID: d.App}, "0", filepath.Join(base, "dl"), nil)
	var exitErr *pluginapi.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, "localdir", exitErr.Executor)
	assert.Equal(t, "exit status 3", exitErr.Status)
	again, err := client.Info(ctx)
	require.NoError(t, err, "the plugin is started again")
	assert.Equal(t, first, again)

	r = runApp(t, nil, "backup", "resume", "--dir", out, "--config", cfg)
	require.Equal(t, exitFailure, r.code, "a failed operation needs --retry-failed")
	assert.Contains(t, r.stderr, "--retry-failed")

	r = runApp(t, nil, "backup", "resume", "--dir", out, "--config", cfg, "--retry-failed")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `resume\s+complete`, r.stdout)
	r = runApp(t, nil, "backup", "verify", "--dir", out)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
}

// TestPluginStartFailuresOneLine: a wrong pin, a protocol mismatch and a
// missing binary each print one clear line on stderr and exit 1, from the
// real binary.
func TestPluginStartFailuresOneLine(t *testing.T) {
	base := t.TempDir()
	fleetRoot := filepath.Join(base, "fleet")
	d := localFleet(t, fleetRoot)
	wrong := strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		bin   string
		extra []string
		want  []string
	}{
		{"wrong pin", localdirV1, []string{`sha256 = "` + wrong + `"`},
			[]string{`executor "localdir": refusing to start ` + localdirV1 + `: sha256 is `, `pinned sha256 is ` + wrong}},
		{"protocol mismatch", localdirV2, nil,
			[]string{`executor "localdir": plugin speaks protocol version 2, canic-backup speaks protocol version 1`}},
		{"missing binary", filepath.Join(base, "no-such-plugin"), nil,
			[]string{`executor "localdir": cannot start plugin ` + filepath.Join(base, "no-such-plugin") + `: no such file or directory`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "canic.toml")
			localdirConfig(t, cfg, tc.bin, fleetRoot, d.Root, tc.extra...)
			code, stdout, stderr := runBinary(t, "backup", "create", "--config", cfg, "--out", filepath.Join(t.TempDir(), "b"))
			assert.Equal(t, exitFailure, code)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			for _, w := range tc.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
	calls, err := store.ReadCalls(fleetRoot)
	require.NoError(t, err)
	assert.Empty(t, calls, "no plugin call was made")
}

// runBinary runs the test-built canic-backup.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, canicBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stdout.String(), stderr.String()
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
