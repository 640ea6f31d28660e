package sim_test

import (
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postCall sends a signed call to /api/<ver>/canister/<ecid>/call and
// decodes a 200 body.
func postCall(t *testing.T, s *sim.Simulator, ver string, id identity.Identity, canister, ecid principal.Principal, method string, arg []byte) (int, map[string]any) {
	t.Helper()
	_, data := envelopeBytes(t, id, callRequest(id, canister, method, arg, time.Now().Add(time.Minute)))
	code, body := post(t, fmt.Sprintf("%s/api/%s/canister/%s/call", s.URL(), ver, ecid), data)
	if code != http.StatusOK {
		return code, nil
	}
	var m map[string]any
	require.NoError(t, cbor.Unmarshal(body, &m))
	return code, m
}

func TestRejectCodesArePairedAsOnTheIC(t *testing.T) {
	// rs/types/error_types/src/lib.rs, From<ErrorCode> for RejectCode
	want := map[string]uint64{
		"IC0101": 1, // SubnetOversubscribed is SYS_FATAL
		"IC0201": 2, "IC0205": 2, "IC0206": 2, "IC0207": 2, "IC0208": 2,
		"IC0301": 3, "IC0305": 3,
		"IC0406": 4, "IC0407": 4, "IC0408": 4,
		"IC0503": 5, "IC0504": 5, "IC0508": 5, "IC0509": 5, "IC0511": 5, "IC0512": 5, "IC0514": 5, "IC0536": 5, "IC0537": 5,
	}
	for code, rc := range want {
		got, ok := replica.RejectCodeOf(code)
		require.True(t, ok, code)
		assert.Equal(t, rc, got, code)
		assert.Equal(t, rc, replica.NewReject(code, "x").Code, code)
	}
	assert.Panics(t, func() { replica.NewReject("IC0999", "unknown") }, "a code outside the table is a simulator bug")
}

func TestTransientKnobUsesATransientPair(t *testing.T) {
	s := simtest.Start(t, sim.Options{Faults: sim.Faults{TransientRejectRate: 1}})
	_, err := rawCall(t, agentFor(t, s), s.ControllerIdentity(), s.Canisters()[1], "canister_status", canisterArgs{s.Canisters()[1]})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rejected ([2])", "SYS_TRANSIENT")
}

func TestRefusedCallsAreNonReplicatedRejections(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[1]
	stranger, err := identity.NewRandomEd25519Identity()
	require.NoError(t, err)
	arg := mustArgs(t, canisterArgs{cid})

	for _, ver := range []string{"v3", "v4"} {
		code, body := postCall(t, s, ver, stranger, mgmt, cid, "stop_canister", arg)
		require.Equal(t, http.StatusOK, code, ver)
		assert.Equal(t, "non_replicated_rejection", body["status"], ver)
		assert.EqualValues(t, 5, body["reject_code"], ver)
		assert.Equal(t, "IC0512", body["error_code"], ver)
		assert.Contains(t, body["reject_message"], "Only the controllers of the canister", ver)
		assert.NotContains(t, body, "certificate", "%s: no certified reject", ver)
	}
	code, body := postCall(t, s, "v2", stranger, mgmt, cid, "stop_canister", arg)
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, body, "status", "v2 reject body has no status field")
	assert.EqualValues(t, 5, body["reject_code"])
	assert.Equal(t, "IC0512", body["error_code"])

	// An update to a stopped canister: IC0508, uncertified; the request id stays unknown.
	ctrl := s.ControllerIdentity()
	require.NoError(t, s.Replica().SetStatus(cid.Raw, "stopped"))
	rid, data := envelopeBytes(t, ctrl, callRequest(ctrl, cid, "sim_mutate", mustArgs(t, uint64(7)), time.Now().Add(time.Minute)))
	code, raw := post(t, fmt.Sprintf("%s/api/v4/canister/%s/call", s.URL(), cid), data)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, cbor.Unmarshal(raw, &body))
	assert.Equal(t, "non_replicated_rejection", body["status"])
	assert.Equal(t, "IC0508", body["error_code"])
	// A refused call never enters the state: the certified tree proves its
	// request id absent.
	_, _, err = agentFor(t, s).RequestStatus(cid, rid)
	require.Error(t, err, "a refused call never enters the state")
	assert.Contains(t, err.Error(), "not present in the tree")

	// inspect_message refusal: IC0406 CANISTER_REJECT.
	require.NoError(t, s.Replica().SetStatus(cid.Raw, "running"))
	code, body = postCall(t, s, "v4", ctrl, cid, cid, "sim_refused_by_inspect", mustArgs(t))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "IC0406", body["error_code"])
	assert.EqualValues(t, 4, body["reject_code"])

	c := s.Counters()
	assert.Equal(t, uint64(5), c.NonReplicatedRejections)
	assert.Zero(t, c.Calls["stop_canister"], "refused calls are not executed")
	assert.Zero(t, c.Calls["sim_mutate"])
}

func TestIngressOver2MiBIs413(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[1]
	code, _ := postCall(t, s, "v4", s.ControllerIdentity(), cid, cid, "sim_mutate", make([]byte, 2<<20))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Zero(t, s.Counters().Calls["sim_mutate"])
}

func TestRateLimitAnswers429WithRetryAfterAndCountsEarlyRetries(t *testing.T) {
	s := simtest.Start(t, sim.Options{RateLimit: 2})
	get := func() *http.Response {
		resp, err := http.Get(s.URL() + "/api/v2/status")
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	var limited *http.Response
	for i := 0; i < 5 && limited == nil; i++ {
		if r := get(); r.StatusCode == http.StatusTooManyRequests {
			limited = r
		}
	}
	require.NotNil(t, limited, "a burst beyond 2/s is limited")
	secs, err := strconv.Atoi(limited.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	require.GreaterOrEqual(t, secs, 1)
	forwarded := s.Counters().Endpoints["v2/status"]
	assert.Zero(t, s.Counters().InsideRetryAfter)

	time.Sleep(300 * time.Millisecond) // past the in-flight grace, inside the window
	get()
	c := s.Counters()
	assert.Equal(t, uint64(1), c.InsideRetryAfter, "a request inside the announced window is counted")
	assert.GreaterOrEqual(t, c.RateLimited, uint64(1))
	assert.LessOrEqual(t, c.Endpoints["v2/status"], forwarded+1, "429s are not forwarded")

	time.Sleep(time.Duration(secs) * time.Second)
	assert.Equal(t, http.StatusOK, get().StatusCode, "after Retry-After the request passes")
	assert.Equal(t, uint64(1), s.Counters().InsideRetryAfter)
	// the admin endpoints are not limited
	for i := 0; i < 5; i++ {
		resp, err := http.Get(s.URL() + "/_sim/counters")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

func cyclesOf(t *testing.T, s *sim.Simulator, id principal.Principal) *big.Int {
	t.Helper()
	c, ok := s.CanisterCycles(id)
	require.True(t, ok)
	return new(big.Int).SetUint64(c)
}

func TestCallsAreChargedToTheTargetWithThePublishedFees(t *testing.T) {
	s := simtest.Start(t, sim.Options{Cycles: 50_000_000_000_000, Fleet: sim.Fleet{Name: "f", Children: 1, Depth: 1, Size: 1 << 20}})
	cid := s.Canisters()[1]
	root := s.Canisters()[0]
	require.Equal(t, big.NewInt(50_000_000_000_000), cyclesOf(t, s, cid), "Options.Cycles is the starting balance")
	a := agentFor(t, s)
	before, rootBefore := cyclesOf(t, s, cid), cyclesOf(t, s, root)
	var snap snapshot
	arg := mustArgs(t, takeArgs{CanisterID: cid})
	require.NoError(t, a.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snap}))
	want := cyclecost.IngressCall("take_canister_snapshot", arg)
	want.Add(want, cyclecost.Execution(snap.TotalSize))
	assert.Equal(t, want, new(big.Int).Sub(before, cyclesOf(t, s, cid)), "ingress + execution charged to the target")
	assert.Equal(t, rootBefore, cyclesOf(t, s, root), "nobody else pays")
}

func TestOutOfCyclesIsIC0207(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "f", Children: 1, Depth: 1, Size: 64 << 20}})
	cid := s.Canisters()[1]
	ctrl := s.ControllerIdentity()
	arg := mustArgs(t, takeArgs{CanisterID: cid})

	// Cannot even pay the induction fee above its freezing threshold: refused, uncertified.
	require.NoError(t, s.SetCycles(cid, 1_000))
	code, body := postCall(t, s, "v4", ctrl, mgmt, cid, "take_canister_snapshot", arg)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "non_replicated_rejection", body["status"])
	assert.Equal(t, "IC0207", body["error_code"])
	assert.EqualValues(t, 2, body["reject_code"], "SYS_TRANSIENT")
	assert.Equal(t, big.NewInt(1_000), cyclesOf(t, s, cid), "nothing charged")

	// Can pay for the call but not for the snapshot's storage: the snapshot
	// raises the freezing threshold, so execution rejects it (certified).
	mem := uint64(64<<20) + 8*2 + uint64(len("\x00asm\x01\x00\x00\x00canic-sim:f:app_0"))
	afterSnap := cyclecost.FreezingThreshold(2*mem, cyclecost.DefaultFreezingSeconds)
	bal := new(big.Int).Add(cyclecost.FreezingThreshold(mem, cyclecost.DefaultFreezingSeconds), big.NewInt(100_000_000))
	require.Negative(t, bal.Cmp(afterSnap))
	require.NoError(t, s.SetCycles(cid, bal.Uint64()))
	_, err := rawCall(t, agentFor(t, s), ctrl, cid, "take_canister_snapshot", takeArgs{CanisterID: cid})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rejected ([2])")
	assert.Contains(t, err.Error(), "is out of cycles")
	var list []snapshot
	require.NoError(t, agentFor(t, s).Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&list}))
	assert.Empty(t, list, "no snapshot taken")
	assert.Equal(t, uint64(2), s.Counters().OutOfCycles)

	// The admin endpoint sets and reads a balance.
	resp, err := http.Post(fmt.Sprintf("%s/_sim/canister/%s/cycles?amount=%d", s.URL(), cid, uint64(7_000_000_000_000)), "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	c, _ := s.CanisterCycles(cid)
	assert.Equal(t, uint64(7_000_000_000_000), c)
	require.NoError(t, agentFor(t, s).Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snapshot{}}))
}

func TestStopDelayTimesOutWithIC0206AndLeavesTheCanisterStopping(t *testing.T) {
	s := simtest.Start(t, sim.Options{StopDelay: 600 * time.Millisecond, StopTimeout: 100 * time.Millisecond})
	cid := s.Canisters()[1]
	ctrl := s.ControllerIdentity()
	_, err := rawCall(t, agentFor(t, s), ctrl, cid, "stop_canister", canisterArgs{cid})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rejected ([2])", "IC0206 is SYS_TRANSIENT")
	assert.Contains(t, err.Error(), "Stop canister request timed out")
	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "stopping", st)
	assert.Equal(t, uint64(1), s.Counters().StopTimeouts)

	code, body := postCall(t, s, "v4", ctrl, cid, cid, "sim_mutate", mustArgs(t, uint64(1)))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "IC0509", body["error_code"], "a stopping canister rejects calls")

	require.Eventually(t, func() bool { st, _ := s.Replica().Status(cid.Raw); return st == "stopped" }, 5*time.Second, 20*time.Millisecond)

	// start on a stopping canister makes it running again; the pending stop fails with IC0511.
	other := s.Canisters()[2]
	done := make(chan error, 1)
	go func() {
		_, err := rawCall(t, agentFor(t, s), ctrl, other, "stop_canister", canisterArgs{other})
		done <- err
	}()
	require.Eventually(t, func() bool { st, _ := s.Replica().Status(other.Raw); return st == "stopping" }, 5*time.Second, 5*time.Millisecond)
	_, err = rawCall(t, agentFor(t, s), ctrl, other, "start_canister", canisterArgs{other})
	require.NoError(t, err)
	st, _ = s.Replica().Status(other.Raw)
	assert.Equal(t, "running", st)
	err = <-done
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "cancelled") || strings.Contains(err.Error(), "timed out"), err.Error())
}

func TestStopWithinTheTimeoutSucceedsAfterTheDelay(t *testing.T) {
	s := simtest.Start(t, sim.Options{StopDelay: 200 * time.Millisecond})
	cid := s.Canisters()[1]
	start := time.Now()
	_, err := rawCall(t, agentFor(t, s), s.ControllerIdentity(), cid, "stop_canister", canisterArgs{cid})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "stopped", st)
}

func TestBalancesAndAPendingStopSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	opts := sim.Options{StateDir: dir, Cycles: 9_000_000_000_000, StopDelay: time.Hour, StopTimeout: 50 * time.Millisecond,
		Fleet: sim.Fleet{Name: "bal", Children: 1, Depth: 1, Size: 1 << 20, Seed: 3}}
	s1, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	cid := s1.Canisters()[1]
	require.NoError(t, agentFor(t, s1).Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snapshot{}}))
	_, err = rawCall(t, agentFor(t, s1), s1.ControllerIdentity(), cid, "stop_canister", canisterArgs{cid})
	require.ErrorContains(t, err, "timed out")
	bal, _ := s1.CanisterCycles(cid)
	require.Less(t, bal, uint64(9_000_000_000_000))
	require.NoError(t, s1.Close(ctx))

	s2, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s2.Close(ctx)) }()
	again, _ := s2.CanisterCycles(cid)
	assert.Equal(t, bal, again, "charged balances are state")
	st, _ := s2.Replica().Status(cid.Raw)
	assert.Equal(t, "stopping", st, "a canister saved while stopping reloads stopping")
	_, err = rawCall(t, agentFor(t, s2), s2.ControllerIdentity(), cid, "start_canister", canisterArgs{cid})
	require.NoError(t, err)
	st, _ = s2.Replica().Status(cid.Raw)
	assert.Equal(t, "running", st)
}

func TestSetRateLimitAtRuntime(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	status := func() int {
		resp, err := http.Get(s.URL() + "/api/v2/status")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 10; i++ {
		require.Equal(t, http.StatusOK, status(), "unlimited by default")
	}
	s.SetRateLimit(1)
	codes := map[int]int{}
	for i := 0; i < 4; i++ {
		codes[status()]++
	}
	assert.Positive(t, codes[http.StatusTooManyRequests], "limited after SetRateLimit(1): %v", codes)
	s.SetRateLimit(0)
	for i := 0; i < 10; i++ {
		require.Equal(t, http.StatusOK, status(), "unlimited again")
	}
	assert.Equal(t, uint64(codes[http.StatusTooManyRequests]), s.Counters().RateLimited)
}
