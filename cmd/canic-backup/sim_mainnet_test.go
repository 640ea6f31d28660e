package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
)

// TestSimStartMainnetFlags: --cycles sets every canister's balance and
// --rate-limit makes the simulated boundary node answer 429.
func TestSimStartMainnetFlags(t *testing.T) {
	dir := t.TempDir()
	info, stop := startSimCLI(t, filepath.Join(dir, sim.InfoFileName), "--fleet", "mn", "--size", "64KiB",
		"--state-dir", dir, "--cycles", "123456789000", "--rate-limit", "2", "--stop-delay", "1ms", "--stop-timeout", "1s")
	defer func() { assert.Equal(t, 0, stop()) }()
	for _, id := range info.CanisterIDs {
		resp, err := http.Get(info.URL + "/_sim/canister/" + id + "/cycles")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "123456789000", strings.TrimSpace(string(b)), id)
	}
	var limited bool
	for i := 0; i < 6 && !limited; i++ {
		resp, err := http.Get(info.URL + "/api/v2/status")
		require.NoError(t, err)
		resp.Body.Close()
		limited = resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != ""
	}
	assert.True(t, limited, "--rate-limit 2: a burst meets 429 with Retry-After")
}

func TestSimStartRejectsBadMainnetFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate-limit", "-1"},
		{"--rate-limit", "NaN"},
		{"--stop-delay", "-1s"},
		{"--stop-timeout", "-1s"},
		{"--cycles", "-5"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"canic-backup", "sim", "start"}, args...),
			env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, now: time.Now})
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut.String())
	}
}
