package sim_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/identity"
	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadSignatureAndExpiredIngressAreRefused(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	ctrl := s.ControllerIdentity()
	cid := s.Canisters()[1]
	url := fmt.Sprintf("%s/api/v2/canister/%s/call", s.URL(), cid)
	arg := []byte("DIDL\x00\x00")

	req := callRequest(ctrl, mgmt, "stop_canister", arg, time.Now().Add(time.Minute))
	_, good := envelopeBytes(t, ctrl, req)
	// flip one byte of the 64-byte signature: it sits at the end of the envelope
	bad := append([]byte{}, good...)
	bad[len(bad)-1] ^= 0x01
	code, body := post(t, url, bad)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(body), "invalid signature")

	_, expired := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "stop_canister", arg, time.Now().Add(-time.Second)))
	code, body = post(t, url, expired)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(body), "ingress_expiry not within expected range")

	_, future := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "stop_canister", arg, time.Now().Add(time.Hour)))
	code, _ = post(t, url, future)
	assert.Equal(t, http.StatusBadRequest, code)

	code, _ = post(t, url, []byte("garbage"))
	assert.Equal(t, http.StatusBadRequest, code)

	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "running", st, "no refused call executed")
	assert.Equal(t, uint64(4), s.Counters().BadRequests)
	assert.Zero(t, s.Counters().Calls["stop_canister"])
}

func TestNonControllerAndEleventhSnapshotAreRejected(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[2]
	stranger, err := identity.NewRandomSecp256k1Identity()
	require.NoError(t, err)
	sa := simtest.Agent(t, s, stranger)
	err = sa.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snapshot{}})
	var rej *transport.Reject
	require.ErrorAs(t, err, &rej)
	assert.Equal(t, uint64(5), rej.Code)
	assert.Contains(t, err.Error(), "Only the controllers of the canister")

	a := simtest.Agent(t, s, nil)
	for i := 0; i < 10; i++ {
		require.NoError(t, a.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snapshot{}}), "snapshot %d", i+1)
	}
	err = a.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snapshot{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "maximum number of snapshots")
	var list []snapshot
	require.NoError(t, a.Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&list}))
	assert.Len(t, list, 10)
}

func TestReadStateOfAnotherSendersRequestIsForbidden(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[1]
	a := simtest.Agent(t, s, nil)
	ctrl := s.ControllerIdentity()
	rid, data := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "list_canister_snapshots", mustArgs(t, canisterArgs{cid}), time.Now().Add(time.Minute)))
	require.NoError(t, a.Submit(cid, data))

	stranger, err := identity.NewRandomEd25519Identity()
	require.NoError(t, err)
	_, _, err = simtest.Agent(t, s, stranger).RequestStatus(cid, rid)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "403")
}
