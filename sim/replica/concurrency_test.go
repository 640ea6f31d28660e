package replica

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConcurrentCalls runs updates, queries, snapshots and saves at once;
// under -race it proves the replica is safe for concurrent use.
func TestConcurrentCalls(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "c", Children: 3, Depth: 1, Size: 256 << 10, Controllers: [][]byte{alice}, Seed: 2})
	require.NoError(t, err)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, id := range f.All {
		wg.Add(1)
		go func(i int, id []byte) {
			defer wg.Done()
			for n := uint64(0); n < 5; n++ {
				if _, err := r.Execute(context.Background(), Call{Canister: id, Method: "sim_mutate", Arg: marshal(t, n), Kind: Update}); err != nil {
					errs <- err
				}
				if _, err := r.Execute(context.Background(), Call{Canister: id, Method: "sim_digest", Arg: emptyReply, Kind: Query}); err != nil {
					errs <- err
				}
				if _, err := mgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(id)}); err != nil {
					errs <- err
				}
			}
		}(i, id)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			if err := r.Save(dir); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	back, err := Load(dir, Config{Clock: fixedClock})
	require.NoError(t, err)
	require.Len(t, back.CanisterIDs(), len(f.All))
}
