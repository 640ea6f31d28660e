package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransientRejectDoesNotExecute(t *testing.T) {
	s := simtest.Start(t, sim.Options{Faults: sim.Faults{TransientRejectRate: 1}})
	cid := s.Canisters()[1]
	err := simtest.Agent(t, s, nil).Call(mgmt, "stop_canister", []any{canisterArgs{cid}}, []any{})
	var rej *transport.Reject
	require.ErrorAs(t, err, &rej)
	assert.Equal(t, transport.RejectSysTransient, rej.Code)
	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "running", st)
	assert.Equal(t, uint64(1), s.Counters().TransientRejects)

	s.SetFaults(sim.Faults{})
	require.NoError(t, simtest.Agent(t, s, nil).Call(mgmt, "stop_canister", []any{canisterArgs{cid}}, []any{}))
}

func TestLostResponseExecutesButAnswersNothing(t *testing.T) {
	s := simtest.Start(t, sim.Options{Faults: sim.Faults{LostResponseRate: 1}})
	ctrl := s.ControllerIdentity()
	a := simtest.Agent(t, s, nil)
	for i, ver := range []string{"v2", "v4"} {
		cid := s.Canisters()[i+1]
		rid, data := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "stop_canister", mustArgs(t, canisterArgs{cid}), time.Now().Add(time.Minute)))
		resp, err := http.Post(fmt.Sprintf("%s/api/%s/canister/%s/call", s.URL(), ver, cid), "application/cbor", bytesReader(data))
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "%s: the response is lost", ver)
		require.Eventually(t, func() bool {
			st, _ := s.Replica().Status(cid.Raw)
			return st == "stopped"
		}, 5*time.Second, 5*time.Millisecond, "%s: the call executed anyway", ver)
		status, node, err := a.RequestStatus(cid, rid)
		require.NoError(t, err)
		assert.Equal(t, "done", string(status))
		_, err = hashtree.NewHashTree(node).Lookup(hashtree.Label("request_status"), rid[:], hashtree.Label("reply"))
		assert.Error(t, err, "no reply to reconcile from")
	}
	assert.Equal(t, uint64(2), s.Counters().LostResponses)
}

func TestLatencyAndInFlightCap(t *testing.T) {
	s := simtest.Start(t, sim.Options{Faults: sim.Faults{UpdateLatency: 100 * time.Millisecond}})
	a := simtest.Agent(t, s, nil)
	cid := s.Canisters()[0]
	start := time.Now()
	require.NoError(t, a.Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&[]snapshot{}}))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	parallel := func() {
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, a.Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&[]snapshot{}}))
			}()
		}
		wg.Wait()
	}
	s.ResetCounters()
	parallel()
	assert.Greater(t, s.Counters().MaxInFlight, uint64(1))

	s.SetFaults(sim.Faults{UpdateLatency: 30 * time.Millisecond, MaxInFlight: 1})
	s.ResetCounters()
	parallel()
	c := s.Counters()
	assert.Equal(t, uint64(1), c.MaxInFlight)
	assert.Equal(t, uint64(4), c.Calls["list_canister_snapshots"])

	resp, err := http.Get(s.Info().CountersURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	var got sim.Counters
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Equal(t, uint64(4), got.Calls["list_canister_snapshots"])
	assert.Equal(t, uint64(4), got.Endpoints["v4/call"], "the client's calls, counted per endpoint")
}
