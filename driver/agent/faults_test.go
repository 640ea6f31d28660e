package agent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// rejecter is an httptest replica that refuses every call before
// execution (non_replicated_rejection) with the reject its table gives for
// the method, and counts calls per method.
type rejecter struct {
	mu      sync.Mutex
	calls   map[string]int
	rejects map[string][3]string // method -> reject code, error code, message
}

func (r *rejecter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var env struct {
		Content struct {
			Method string `cbor:"method_name"`
		} `cbor:"content"`
	}
	var body []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := req.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	_ = cbor.Unmarshal(body, &env)
	r.mu.Lock()
	r.calls[env.Content.Method]++
	rej, ok := r.rejects[env.Content.Method]
	r.mu.Unlock()
	if !strings.HasSuffix(req.URL.Path, "/call") || !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	code := uint64(rej[0][0] - '0')
	out, _ := cbor.Marshal(map[string]any{"status": "non_replicated_rejection", "reject_code": code,
		"error_code": rej[1], "reject_message": rej[2]})
	_, _ = w.Write(out)
}

func (r *rejecter) count(m string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[m]
}

func rejectingExecutor(t *testing.T, rejects map[string][3]string) (*agent.Executor, *rejecter) {
	t.Helper()
	r := &rejecter{calls: map[string]int{}, rejects: rejects}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	e, err := agent.New(context.Background(), agent.Settings{
		URL: srv.URL, RootKey: strings.Repeat("00", 133), PollTimeout: agent.Duration(2 * time.Second),
		RetryAttempts: 8, RetryInitialBackoff: agent.Duration(time.Millisecond), RetryMaxBackoff: agent.Duration(5 * time.Millisecond),
	}, hclog.NewNullLogger())
	require.NoError(t, err)
	return e, r
}

var faultTarget = pluginapi.Target{Network: "ic", CanisterID: principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x10, 0, 1, 1, 1}}.String()}

// TestOutOfCyclesIsItsOwnCodeNotRetried: IC0207 is SYS_TRANSIENT on the
// IC, but retrying cannot help until the canister is topped up: one
// attempt, code "cycles", the canister and the top-up command named.
func TestOutOfCyclesIsItsOwnCodeNotRetried(t *testing.T) {
	e, r := rejectingExecutor(t, map[string][3]string{
		"stop_canister":   {"2", "IC0207", "Canister x is out of cycles: please top up the canister with at least 1_000_000 additional cycles"},
		"canister_status": {"2", "IC0207", "Canister x is out of cycles"},
	})
	err := e.StopCanister(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeCycles)
	assert.Equal(t, 1, r.count("stop_canister"), "out of cycles is not retried")
	assert.Contains(t, err.Error(), "canister "+faultTarget.CanisterID+" is out of cycles (IC0207)")
	assert.Contains(t, err.Error(), "icp canister top-up --amount 1t "+faultTarget.CanisterID+" -n ic")
	assert.Contains(t, err.Error(), "balance unknown", "the balance could not be read either")
	assert.False(t, pluginapi.CodeCycles.Retryable())
}

// TestStopTimeoutIsRetriedWithinABoundThenReported: IC0206 leaves the
// canister stopping; the executor tries three times in all and reports
// code "stop-timeout" naming the canister, for the engine to restart it
// and fail closed.
func TestStopTimeoutIsRetriedWithinABoundThenReported(t *testing.T) {
	e, r := rejectingExecutor(t, map[string][3]string{
		"stop_canister": {"2", "IC0206", "Stop canister request timed out"},
	})
	err := e.StopCanister(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeStopTimeout)
	assert.Equal(t, 3, r.count("stop_canister"), "bounded: 3 attempts, not retry_attempts (8)")
	assert.Contains(t, err.Error(), faultTarget.CanisterID+" may be left stopping")
	assert.False(t, pluginapi.CodeStopTimeout.Retryable())
}

// TestNonReplicatedRejectionIsDefinite: a call refused before execution
// (here a non-controller) is a definite, uncertified failure: not retried,
// not an unknown outcome.
func TestNonReplicatedRejectionIsDefinite(t *testing.T) {
	e, r := rejectingExecutor(t, map[string][3]string{
		"start_canister": {"5", "IC0512", "Only controllers of canister x can call start_canister"},
	})
	err := e.StartCanister(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeUnauthorized)
	assert.Contains(t, err.Error(), "rejected before execution (uncertified)")
	assert.Equal(t, 1, r.count("start_canister"))
}

// TestPollDeadlineIsAnUnknownOutcome: a call accepted whose status never
// becomes final (read_state failing) is reported with code "unknown", not
// as a definite or transient failure.
func TestPollDeadlineIsAnUnknownOutcome(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/call") {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	e, err := agent.New(context.Background(), agent.Settings{
		URL: srv.URL, RootKey: strings.Repeat("00", 133), PollTimeout: agent.Duration(300 * time.Millisecond),
		RetryAttempts: 2, RetryInitialBackoff: agent.Duration(time.Millisecond), RetryMaxBackoff: agent.Duration(5 * time.Millisecond),
	}, hclog.NewNullLogger())
	require.NoError(t, err)
	err = e.StopCanister(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeUnknown)
	assert.Contains(t, err.Error(), "outcome unknown")
	// A read with the same fate changed nothing: it is simply transient.
	_, err = e.CanisterStatus(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeTransient)
	_, err = e.ListSnapshots(context.Background(), faultTarget)
	require.ErrorIs(t, err, pluginapi.CodeTransient)
}

// TestCyclesEstimatesBoundWhatTheSimulatorCharges: a canister's backup
// (status, stop, snapshot, download, start) and restore (stop, upload,
// load, start) through the agent executor are charged by the simulator's
// cost model; the preflight's estimates (internal/cyclecost Backup and
// Restore) are at least what was charged, and their freezing part at least
// the threshold with the snapshot counted, so a canister the preflight
// passes can pay.
func TestCyclesEstimatesBoundWhatTheSimulatorCharges(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "cost", Children: 1, Depth: 1, Size: 5 << 20, Seed: 3}})
	e := newExecutor(t, s)
	ctx := ctxT(t)
	c := s.Canisters()[1]
	tg := target(c)
	st, err := e.CanisterStatus(ctx, tg)
	require.NoError(t, err)
	require.NotNil(t, st.Cycles)
	b0 := *st.Cycles
	est := cyclecost.Backup(st.MemorySize, st.FreezingThresholdSeconds)

	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "snap")
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, dir, nil)
	require.NoError(t, err)
	require.NoError(t, e.StartCanister(ctx, tg))
	after, err := e.CanisterStatus(ctx, tg)
	require.NoError(t, err)
	charged := b0 - *after.Cycles
	assert.Positive(t, charged)
	assert.LessOrEqual(t, charged, est.Calls.Uint64(), "the backup's calls cost no more than estimated")
	assert.GreaterOrEqual(t, est.Freezing.Uint64(),
		cyclecost.FreezingThreshold(st.MemorySize+snap.TotalSize, st.FreezingThresholdSeconds).Uint64(),
		"the estimate's threshold counts the snapshot")
	t.Logf("backup: charged %d, estimated calls %d, freezing %d", charged, est.Calls, est.Freezing)

	b1 := *after.Cycles
	size := snap.TotalSize
	rest := cyclecost.Restore(after.MemorySize, size, after.FreezingThresholdSeconds)
	require.NoError(t, e.StopCanister(ctx, tg))
	up, err := e.UploadSnapshot(ctx, tg, dir, nil)
	require.NoError(t, err)
	require.NoError(t, e.LoadSnapshot(ctx, tg, up.SnapshotID))
	require.NoError(t, e.StartCanister(ctx, tg))
	done, err := e.CanisterStatus(ctx, tg)
	require.NoError(t, err)
	charged = b1 - *done.Cycles
	assert.Positive(t, charged)
	assert.LessOrEqual(t, charged, rest.Calls.Uint64(), "the restore's calls cost no more than estimated")
	t.Logf("restore: charged %d, estimated calls %d, freezing %d", charged, rest.Calls, rest.Freezing)
}
