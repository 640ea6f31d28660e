package fleettest

import (
	"context"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// FreshCanister creates an empty canister controlled by the simulator's
// controller (provisional_create_canister_with_cycles) and returns its id.
func FreshCanister(t *testing.T, s *sim.Simulator) string {
	t.Helper()
	out := Execute(t, s, nil, "provisional_create_canister_with_cycles", struct {
		Amount *idl.Nat `ic:"amount"`
	}{})
	var res struct {
		CanisterID principal.Principal `ic:"canister_id"`
	}
	require.NoError(t, idl.Unmarshal(out, []any{&res}))
	return res.CanisterID.String()
}

// FillSnapshots takes snapshots of id until it holds the IC's maximum
// (10), so the next take_canister_snapshot is rejected.
func FillSnapshots(t *testing.T, s *sim.Simulator, id string) {
	t.Helper()
	for i := 0; ; i++ {
		enc, err := idl.Marshal([]any{canisterArg{CanisterID: principal.Principal{Raw: Raw(t, id)}}})
		require.NoError(t, err)
		_, err = s.Replica().Execute(context.Background(), replica.Call{
			Sender: simfleet.Controller(s), Method: "take_canister_snapshot", Arg: enc, Kind: replica.Update,
		})
		if err != nil {
			require.Contains(t, err.Error(), "maximum number of snapshots")
			return
		}
		require.Less(t, i, 20, "the simulator never refused a snapshot")
	}
}

// DropSnapshot deletes one snapshot of id (listed through the replica), so
// a full canister has room for one more.
func DropSnapshot(t *testing.T, s *sim.Simulator, id string) {
	t.Helper()
	list := Snapshots(t, s, id)
	require.NotEmpty(t, list)
	Execute(t, s, nil, "delete_canister_snapshot", struct {
		CanisterID principal.Principal `ic:"canister_id"`
		SnapshotID []byte              `ic:"snapshot_id"`
	}{CanisterID: principal.Principal{Raw: Raw(t, id)}, SnapshotID: list[0].ID})
}

// SetControllers replaces id's controllers, calling update_settings as
// sender (which must control id), and checks the replica holds them.
func SetControllers(t *testing.T, s *sim.Simulator, sender []byte, id string, controllers ...[]byte) {
	t.Helper()
	ps := make([]principal.Principal, len(controllers))
	for i, c := range controllers {
		ps[i] = principal.Principal{Raw: c}
	}
	type settings struct {
		Controllers *[]principal.Principal `ic:"controllers"`
	}
	enc, err := idl.Marshal([]any{struct {
		CanisterID principal.Principal `ic:"canister_id"`
		Settings   settings            `ic:"settings"`
	}{CanisterID: principal.Principal{Raw: Raw(t, id)}, Settings: settings{Controllers: &ps}}})
	require.NoError(t, err)
	_, err = s.Replica().Execute(context.Background(), replica.Call{
		Sender: sender, Method: "update_settings", Arg: enc, Kind: replica.Update,
	})
	require.NoError(t, err, "update_settings of %s", id)
	got, ok := s.Replica().Controllers(Raw(t, id))
	require.True(t, ok)
	require.Equal(t, controllers, got)
}
