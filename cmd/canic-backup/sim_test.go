package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
)

// syncBuffer is a bytes.Buffer safe for the app goroutine and the test.
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

// startSimCLI runs `canic-backup sim start args...` until the returned stop
// is called, and returns the info it wrote.
func startSimCLI(t *testing.T, infoPath string, args ...string) (sim.Info, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	_ = os.Remove(infoPath)
	go func() {
		done <- run(ctx, append([]string{"canic-backup", "sim", "start"}, args...),
			env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, now: time.Now})
	}()
	var info sim.Info
	require.Eventually(t, func() bool {
		var err error
		info, err = sim.ReadInfo(infoPath)
		return err == nil
	}, 30*time.Second, 10*time.Millisecond, "info file never appeared; stderr: %s", errOut.String())
	// sim start writes the info file, then prints where it listens.
	assert.Eventually(t, func() bool { return bytes.Contains([]byte(out.String()), []byte(info.URL)) },
		10*time.Second, 10*time.Millisecond, "stdout never named %s: %q", info.URL, out.String())
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("sim start did not stop on cancel")
			return -1
		}
	}
	return info, stop
}

func TestSimStartServesAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	infoPath := filepath.Join(dir, sim.InfoFileName)
	args := []string{"--fleet", "cli", "--children", "2", "--depth", "2", "--size", "64KiB", "--state-dir", dir, "--latency", "1ms"}
	info, stop := startSimCLI(t, infoPath, args...)
	require.Len(t, info.CanisterIDs, 7, "root + 2 children + 4 grandchildren")
	assert.Equal(t, info.RootCanisterID, info.CanisterIDs[0])
	require.Len(t, info.Subnets, 3, "the mainnet shape by default: NNS plus two application subnets")
	for _, id := range info.CanisterIDs {
		assert.NotEqual(t, info.SubnetID, info.CanisterSubnets[id], "%s is not on the NNS subnet", id)
	}
	assert.Len(t, info.RootKeyHex, 266)
	st, err := os.Stat(info.ControllerPEM)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	pem, err := os.ReadFile(info.ControllerPEM)
	require.NoError(t, err)
	assert.Contains(t, string(pem), "-----BEGIN PRIVATE KEY-----")

	resp, err := http.Get(info.URL + "/api/v2/status")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(info.CountersURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 0, stop())

	again, stop2 := startSimCLI(t, infoPath, args...)
	assert.Equal(t, info.RootKeyHex, again.RootKeyHex)
	assert.Equal(t, info.CanisterIDs, again.CanisterIDs)
	assert.Equal(t, info.CanisterSubnets, again.CanisterSubnets)
	assert.Equal(t, 0, stop2())
}

func TestSimStartSubnetsFlag(t *testing.T) {
	for n, canisters := range map[int]int{1: 0, 5: 4} {
		dir := t.TempDir()
		infoPath := filepath.Join(dir, sim.InfoFileName)
		info, stop := startSimCLI(t, infoPath, "--subnets", strconv.Itoa(n), "--size", "4KiB", "--info-out", infoPath, "--children", "3")
		require.Len(t, info.Subnets, n)
		onNNS := 0
		for _, id := range info.CanisterIDs {
			if info.CanisterSubnets[id] == info.SubnetID {
				onNNS++
			}
		}
		assert.Equal(t, canisters, len(info.CanisterIDs)-onNNS, "--subnets %d: canisters on application subnets", n)
		assert.Equal(t, 0, stop())
	}
}

func TestSimStartRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--size", "lots"},
		{"--transient-reject-rate", "1.5"},
		{"--children", "-1"},
		{"--subnets", "0"},
		{"--subnets", "65"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"canic-backup", "sim", "start"}, args...),
			env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, now: time.Now})
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "1000000": 1e6, "4KB": 4000, "2GiB": 2 << 30, "7B": 7} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := parseSize("-1MiB")
	assert.Error(t, err)
}
