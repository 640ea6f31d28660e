package dfx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// fakeCLI writes a shell script standing in for the CLI. These tests use a
// fake on purpose: they check process handling (process groups, deadlines,
// output bounds, environment), which needs a binary that misbehaves on
// command. Everything about icp's behaviour is tested with the real binary.
func fakeCLI(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-cli")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}

func fakeExecutor(t *testing.T, bin string, mutate func(*Settings)) *Executor {
	t.Helper()
	s := Settings{Flavor: FlavorDFX, Binary: bin, Network: "http://127.0.0.1:1", CommandTimeout: time.Minute}
	if mutate != nil {
		mutate(&s)
	}
	e, err := New(context.Background(), s, hclog.NewNullLogger())
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// alive reports whether pid is a live (non-zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// slowCLI is a fake CLI that starts a grandchild (sleep) and waits; both
// write their pids into dir.
func slowCLI(t *testing.T, dir string) string {
	return fakeCLI(t, `sleep 300 &
echo $! > `+dir+`/child.pid
echo $$ > `+dir+`/parent.pid
wait`)
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	return pid
}

func TestCancellationKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	e := fakeExecutor(t, slowCLI(t, dir), nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.StopCanister(ctx, pluginapi.Target{CanisterID: "rrkah-fqaaa-aaaaa-aaaaq-cai"}) }()
	parent, child := readPID(t, filepath.Join(dir, "parent.pid")), readPID(t, filepath.Join(dir, "child.pid"))
	require.True(t, alive(parent))
	require.True(t, alive(child))
	start := time.Now()
	cancel()
	var err error
	select {
	case err = <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled command did not return")
	}
	assert.Less(t, time.Since(start), 3*time.Second)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "canister stop rrkah-fqaaa-aaaaa-aaaaq-cai")
	assert.Eventually(t, func() bool { return !alive(parent) && !alive(child) }, 3*time.Second, 20*time.Millisecond,
		"the CLI and the grandchild it started are both killed")
}

func TestDeadlineKillsTheProcessGroupAndIsTransient(t *testing.T) {
	dir := t.TempDir()
	e := fakeExecutor(t, slowCLI(t, dir), func(s *Settings) { s.CommandTimeout = 300 * time.Millisecond })
	_, err := e.CanisterStatus(context.Background(), pluginapi.Target{CanisterID: "rrkah-fqaaa-aaaaa-aaaaq-cai"})
	require.ErrorIs(t, err, pluginapi.CodeTransient)
	assert.Contains(t, err.Error(), "command timed out after 300ms (process group killed)")
	child := readPID(t, filepath.Join(dir, "child.pid"))
	assert.Eventually(t, func() bool { return !alive(child) }, 3*time.Second, 20*time.Millisecond)
}

func TestCapturedOutputIsBounded(t *testing.T) {
	bin := fakeCLI(t, `head -c 300000 /dev/zero | tr '\0' x; head -c 300000 /dev/zero | tr '\0' y >&2; exit 3`)
	e := fakeExecutor(t, bin, func(s *Settings) { s.MaxOutputBytes = 4096 })
	out, err := e.r.run(context.Background(), "Test", "", time.Minute, []string{"x"})
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 3, ce.ExitStatus)
	assert.Len(t, out.stdout, 4096)
	assert.Len(t, out.stderr, 4096)

	b := &boundedBuffer{max: 5}
	n, err := b.Write([]byte("abcdefgh"))
	require.NoError(t, err)
	assert.Equal(t, 8, n)
	assert.Equal(t, "abcde", string(b.Bytes()))
	assert.Equal(t, int64(3), b.dropped)
}

func TestCommandsGetTheirEnvironmentAndReportProgress(t *testing.T) {
	bin := fakeCLI(t, `echo "DNT=$DO_NOT_TRACK RB=$RUST_BACKTRACE X=$EXTRA_ONE DFXW=$DFX_WARNING"; echo "$@" >&2; exit 1`)
	var events []CommandEvent
	s := Settings{Flavor: FlavorDFX, Binary: bin, Network: "ic", Identity: "ops", Env: map[string]string{"EXTRA_ONE": "1"}}
	e, err := New(context.Background(), s, hclog.NewNullLogger(), WithObserver(func(ev CommandEvent) { events = append(events, ev) }))
	require.NoError(t, err)
	defer e.Close()
	_, err = e.r.run(context.Background(), "Probe", "c", time.Minute, []string{"a b", "c"})
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, bin+` "a b" c`, ce.Command)
	assert.Equal(t, "a b c", ce.Stderr, "stderr is quoted")
	require.Len(t, events, 2)
	assert.False(t, events[0].Done)
	assert.True(t, events[1].Done)
	assert.Equal(t, "Probe", events[1].Operation)
	assert.Error(t, events[1].Err)

	bin = fakeCLI(t, `echo "DNT=$DO_NOT_TRACK RB=$RUST_BACKTRACE X=$EXTRA_ONE DFXW=$DFX_WARNING HOME_SET=${ICP_HOME:+yes}"`)
	e2 := fakeExecutor(t, bin, func(s *Settings) {
		s.Flavor, s.Network, s.RootKey, s.Env = FlavorICP, "http://127.0.0.1:1", "fetch", map[string]string{"EXTRA_ONE": "2"}
	})
	out, err := e2.r.run(context.Background(), "Probe", "", time.Minute, nil)
	require.NoError(t, err)
	assert.Equal(t, "DNT=1 RB=0 X=2 DFXW= HOME_SET=\n", string(out.stdout))
}

func TestICPIdentityPEMIsImportedIntoAPrivateHome(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "id.pem")
	require.NoError(t, os.WriteFile(pem, []byte("-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n"), 0o600))
	bin := fakeCLI(t, `echo "$ICP_HOME|$*" >> `+dir+`/calls; case "$1" in identity) [ "$2" = principal ] && echo aaaaa-aa ;; esac; exit 0`)
	e := fakeExecutor(t, bin, func(s *Settings) { s.Flavor, s.IdentityPEM, s.RootKey = FlavorICP, pem, "fetch" })
	calls, err := os.ReadFile(filepath.Join(dir, "calls"))
	require.NoError(t, err)
	home, args, _ := strings.Cut(strings.TrimSpace(string(calls)), "|")
	assert.Equal(t, "identity import canic-backup --from-pem "+pem+" --storage plaintext", args)
	assert.True(t, strings.HasPrefix(home, os.TempDir()), "ICP_HOME is private: %s", home)
	assert.NotContains(t, string(calls), "SECRET")
	st, err := os.Stat(filepath.Dir(home))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	id, err := e.Identity(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "aaaaa-aa", id)
	require.NoError(t, e.Close())
	_, err = os.Stat(filepath.Dir(home))
	assert.True(t, errors.Is(err, os.ErrNotExist), "Close removes the private home")
}
