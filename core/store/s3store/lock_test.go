package s3store_test

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
)

type helper struct {
	host  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startHelper re-executes the test binary as a lock contender for host.
func startHelper(t *testing.T, prefix, host string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envHelper+"="+host, envEndpoint+"="+server.Endpoint, envPrefix+"="+prefix,
		"AWS_ACCESS_KEY_ID="+server.AccessKey, "AWS_SECRET_ACCESS_KEY="+server.SecretKey)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	h := &helper{host: host, cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return h
}

// outcome waits for the helper's ACQUIRED/LOCKED line and any TAKEOVER.
func (h *helper) outcome(t *testing.T) (status string, rec store.LeaseRecord, msg string, takeover *store.LeaseRecord) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-h.lines:
			require.True(t, ok, "helper %s exited without an outcome", h.host)
			kind, rest, _ := strings.Cut(line, " ")
			switch kind {
			case "TAKEOVER":
				takeover = &store.LeaseRecord{}
				require.NoError(t, json.Unmarshal([]byte(rest), takeover))
			case "ACQUIRED":
				require.NoError(t, json.Unmarshal([]byte(rest), &rec))
				return kind, rec, "", takeover
			case "LOCKED":
				return kind, rec, rest, takeover
			default:
				t.Fatalf("helper %s: %s", h.host, line)
			}
		case <-timeout:
			t.Fatalf("helper %s: no outcome", h.host)
		}
	}
}

// Two processes with different host identities contend for one lock in
// the same bucket: exactly one holds it and the other is told who; after
// the holder is killed and its lease expires, the other takes over and the
// takeover names the dead holder.
func TestLockAcrossProcesses(t *testing.T) {
	prefix := freshPrefix(t)
	a, b := startHelper(t, prefix, "host-a"), startHelper(t, prefix, "host-b")
	sa, ra, ma, _ := a.outcome(t)
	sb, rb, mb, _ := b.outcome(t)
	require.ElementsMatch(t, []string{"ACQUIRED", "LOCKED"}, []string{sa, sb}, "exactly one process holds the lock")
	winner, loser, rec, msg := a, b, ra, mb
	if sb == "ACQUIRED" {
		winner, loser, rec, msg = b, a, rb, ma
	}
	assert.Equal(t, winner.host, rec.Host)
	assert.Equal(t, winner.cmd.Process.Pid, rec.PID)
	assert.Contains(t, msg, "host "+winner.host)
	assert.Contains(t, msg, "pid "+strconv.Itoa(winner.cmd.Process.Pid))
	assert.Contains(t, msg, "since "+rec.StartedAt)
	assert.Contains(t, msg, "lease expires at")

	// While the holder renews, a contender stays locked out beyond one TTL.
	time.Sleep(helperTTL + time.Second)
	again := startHelper(t, prefix, loser.host)
	s, _, _, _ := again.outcome(t)
	require.Equal(t, "LOCKED", s, "a renewed lease was taken over")

	// The holder dies without releasing; its lease runs out.
	require.NoError(t, winner.cmd.Process.Kill())
	_, _ = winner.cmd.Process.Wait()
	killedAt := time.Now()
	var taker *helper
	var takeover *store.LeaseRecord
	for time.Since(killedAt) < helperTTL+10*time.Second {
		h := startHelper(t, prefix, loser.host)
		s, r, m, tk := h.outcome(t)
		if s == "LOCKED" {
			assert.Contains(t, m, "host "+winner.host)
			time.Sleep(300 * time.Millisecond)
			continue
		}
		assert.Equal(t, loser.host, r.Host)
		taker, takeover = h, tk
		break
	}
	require.NotNil(t, taker, "the expired lease was never taken over")
	require.NotNil(t, takeover, "the takeover was not reported")
	assert.Equal(t, winner.host, takeover.Host)
	assert.Equal(t, winner.cmd.Process.Pid, takeover.PID)
	assert.GreaterOrEqual(t, time.Since(killedAt), helperTTL-helperRenew, "taken over before the lease expired")

	// The new holder releases cleanly when told to stop.
	require.NoError(t, taker.stdin.Close())
	var last string
	for line := range taker.lines {
		last = line
	}
	assert.Equal(t, "RELEASED", last)
}
