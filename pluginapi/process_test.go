package pluginapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/examples/localdir/store"
	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
)

// Binaries built once by TestMain: the example plugin, and the same plugin
// announcing protocol version 2.
var bins struct{ localdir, localdirV2 string }

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("PLUGINAPI_HELPER_HOST") == "1" {
		// Re-executed as TestHelperProcessHost: the parent passes the
		// plugin binary in HELPER_BIN, so building the examples again here
		// would only delay the helper (past the parent's wait on a loaded
		// machine).
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pluginapi-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if bins.localdir, err = plugintest.Build(ctx, dir, "localdir", "./examples/localdir"); err == nil {
		bins.localdirV2, err = plugintest.Build(ctx, dir, "localdir-v2", "./examples/localdir", "-ldflags=-X main.protocolVersion=2")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	root   string
	demo   store.Demo
	client *pluginapi.Client
	log    *syncBuffer
	target pluginapi.Target
}

// newFixture seeds a fleet and a Client for bin; cfg fields Name, Cmd and
// Logger are filled in.
func newFixture(t *testing.T, bin string, delay string, cfg pluginapi.ClientConfig) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir(), log: &syncBuffer{}}
	var err error
	f.demo, err = store.SeedDemo(f.root, 512<<10)
	require.NoError(t, err)
	cmd := exec.Command(bin)
	cmd.Env = []string{"LOCALDIR_ROOT=" + f.root, "LOCALDIR_CHUNK_SIZE=16384", "LOCALDIR_CHUNK_DELAY=" + delay}
	cfg.Name, cfg.Cmd = "localdir", cmd
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Output: f.log, Level: hclog.Debug})
	f.client, err = pluginapi.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.client.Close() })
	f.target = pluginapi.Target{Network: "local", CanisterID: f.demo.App}
	return f
}

func (f *fixture) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (f *fixture) pid(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.root, "plugin.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	return pid
}

// snapshot stops the app canister and takes a snapshot.
func (f *fixture) snapshot(t *testing.T) pluginapi.SnapshotInfo {
	t.Helper()
	require.NoError(t, f.client.StopCanister(f.ctx(t), f.target))
	snap, err := f.client.CreateSnapshot(f.ctx(t), f.target)
	require.NoError(t, err)
	return snap
}

func TestPluginKilledDuringDownloadFailsThatCallAndRestarts(t *testing.T) {
	f := newFixture(t, bins.localdir, "10ms", pluginapi.ClientConfig{})
	snap := f.snapshot(t)
	pid := f.pid(t)

	dir := t.TempDir()
	var once sync.Once
	_, err := f.client.DownloadSnapshot(f.ctx(t), f.target, snap.ID, dir, func(p pluginapi.Progress) {
		once.Do(func() { require.NoError(t, killPID(pid)) })
	})
	require.Error(t, err)
	var exit *pluginapi.ExitError
	require.ErrorAs(t, err, &exit, "got %v", err)
	assert.Equal(t, "localdir", exit.Executor)
	assert.Equal(t, "DownloadSnapshot", exit.Method)
	assert.Equal(t, "signal: killed", exit.Status)
	assert.Contains(t, err.Error(), `executor "localdir"`)
	assert.Contains(t, err.Error(), "signal: killed")
	assert.ErrorIs(t, err, pluginapi.CodeTransient, "a dead plugin is worth retrying")

	// The next call starts a new process, and the download resumes.
	res, err := f.client.DownloadSnapshot(f.ctx(t), f.target, snap.ID, dir, nil)
	require.NoError(t, err)
	assert.Positive(t, res.ResumedBytes, "the retried download kept what the killed one wrote")
	newPID := f.pid(t)
	assert.NotEqual(t, pid, newPID, "a new plugin process served the retry")
	assert.Contains(t, f.log.String(), "restarting")

	require.NoError(t, f.client.Close())
	require.Eventually(t, func() bool { return !alive(newPID) }, 5*time.Second, 20*time.Millisecond,
		"Close leaves no plugin process behind")
	_, err = f.client.Info(f.ctx(t))
	assert.ErrorIs(t, err, pluginapi.ErrClosed)
}

func TestCancellationReachesThePluginPromptly(t *testing.T) {
	f := newFixture(t, bins.localdir, "200ms", pluginapi.ClientConfig{})
	snap := f.snapshot(t)

	ctx, cancel := context.WithCancel(f.ctx(t))
	var cancelled time.Time
	_, err := f.client.DownloadSnapshot(ctx, f.target, snap.ID, t.TempDir(), func(pluginapi.Progress) {
		if cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
	})
	elapsed := time.Since(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, elapsed, time.Second, "the call returns promptly, not after the next 200ms chunks")
	require.Eventually(t, func() bool {
		calls, err := store.ReadCalls(f.root)
		require.NoError(t, err)
		for _, c := range calls {
			if c.Method == "DownloadSnapshot" && c.Outcome == "canceled" {
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "the plugin observed ctx.Done")

	// The plugin is still healthy after a cancellation.
	_, err = f.client.Info(f.ctx(t))
	require.NoError(t, err)
}

func TestWrongSHA256PinRefusesToStart(t *testing.T) {
	wrong := strings.Repeat("ab", 32)
	f := newFixture(t, bins.localdir, "0s", pluginapi.ClientConfig{SHA256: wrong})
	actual := sha256File(t, bins.localdir)

	_, err := f.client.Info(f.ctx(t))
	require.Error(t, err)
	var sum *pluginapi.ChecksumError
	require.ErrorAs(t, err, &sum)
	assert.Equal(t, wrong, sum.Expected)
	assert.Equal(t, actual, sum.Actual)
	assert.Equal(t,
		fmt.Sprintf(`executor "localdir": refusing to start %s: sha256 is %s, pinned sha256 is %s`, bins.localdir, actual, wrong),
		err.Error())
	assert.NoFileExists(t, filepath.Join(f.root, "plugin.pid"), "the plugin never ran")
}

func TestRightSHA256PinStarts(t *testing.T) {
	f := newFixture(t, bins.localdir, "0s", pluginapi.ClientConfig{SHA256: strings.ToUpper(sha256File(t, bins.localdir))})
	info, err := f.client.Info(f.ctx(t))
	require.NoError(t, err)
	assert.Equal(t, "localdir", info.Name)
}

func TestProtocolMismatchNamesBothVersions(t *testing.T) {
	f := newFixture(t, bins.localdirV2, "0s", pluginapi.ClientConfig{})
	_, err := f.client.Info(f.ctx(t))
	require.Error(t, err)
	var pe *pluginapi.ProtocolError
	require.ErrorAs(t, err, &pe, "got %v", err)
	assert.Equal(t, 2, pe.PluginVersion)
	assert.Equal(t, []int{1}, pe.HostVersions)
	assert.Contains(t, err.Error(), "plugin speaks protocol version 2, canic-backup speaks protocol version 1")
	require.Eventually(t, func() bool { return !alive(f.pid(t)) }, 5*time.Second, 20*time.Millisecond,
		"the refused plugin is not left running")
}

func TestMissingBinaryIsOneClearError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-plugin")
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "ghost", Cmd: exec.Command(missing)})
	require.NoError(t, err)
	defer client.Close()
	_, err = client.Info(context.Background())
	require.Error(t, err)
	var le *pluginapi.LaunchError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, fmt.Sprintf(`executor "ghost": cannot start plugin %s: no such file or directory`, missing), err.Error())

	// Not on PATH either.
	client2, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "ghost", Cmd: exec.Command("canic-no-such-plugin-xyz")})
	require.NoError(t, err)
	defer client2.Close()
	_, err = client2.Info(context.Background())
	require.ErrorAs(t, err, &le)
	assert.Equal(t, `executor "ghost": cannot start plugin canic-no-such-plugin-xyz: executable file not found in $PATH`, err.Error())
	assert.Equal(t, 1, strings.Count(err.Error(), "canic-no-such-plugin-xyz"+":"), "no repeated wrapping: %v", err)
}

func TestPluginLogsReachHostTaggedWithExecutorName(t *testing.T) {
	f := newFixture(t, bins.localdir, "0s", pluginapi.ClientConfig{})
	require.NoError(t, f.client.Start(f.ctx(t)))
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(f.log.String(), "\n") {
			if strings.Contains(line, "localdir") && strings.Contains(line, "serving") && strings.Contains(line, f.root) {
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "host log: %s", f.log.String())
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	_, err := pluginapi.NewClient(pluginapi.ClientConfig{Cmd: exec.Command("x")})
	assert.EqualError(t, err, "executor client config: name is empty")
	_, err = pluginapi.NewClient(pluginapi.ClientConfig{Name: "x"})
	assert.EqualError(t, err, `executor "x": client config has no command`)
	_, err = pluginapi.NewClient(pluginapi.ClientConfig{Name: "x", Cmd: exec.Command("x"), SHA256: "abc"})
	assert.EqualError(t, err, `executor "x": sha256 "abc" is not 64 hex digits`)
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestTemplateEnvironmentWinsOverHostEnvironment(t *testing.T) {
	t.Setenv("LOCALDIR_ROOT", "/nonexistent-host-value")
	f := newFixture(t, bins.localdir, "0s", pluginapi.ClientConfig{})
	_, err := f.client.Info(f.ctx(t))
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(f.root, "plugin.pid"), "the plugin served the template's LOCALDIR_ROOT")
}

func TestRestartsStopAfterMaxRestarts(t *testing.T) {
	f := newFixture(t, bins.localdir, "0s", pluginapi.ClientConfig{MaxRestarts: 1})
	f.client.Close()
	cmd := exec.Command(bins.localdir)
	cmd.Env = []string{"LOCALDIR_ROOT=" + f.root, "LOCALDIR_CRASH_ON=CanisterStatus"}
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "crashy", Cmd: cmd, MaxRestarts: 1})
	require.NoError(t, err)
	defer client.Close()

	for i := 0; i < 2; i++ {
		_, err = client.CanisterStatus(f.ctx(t), f.target)
		var exit *pluginapi.ExitError
		require.ErrorAs(t, err, &exit, "call %d: %v", i, err)
		assert.Equal(t, "exit status 3", exit.Status)
		assert.Equal(t, `executor "crashy": plugin process exited during CanisterStatus (exit status 3); the next operation restarts it`, err.Error())
	}
	_, err = client.Info(f.ctx(t))
	require.Error(t, err)
	assert.Equal(t, `executor "crashy": internal: plugin died 2 times in a row; not restarting it again`, err.Error())
}
