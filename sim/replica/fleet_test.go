package replica

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"
)

// The registry types exactly as E.2 gives them, decoded with agent-go's
// strict struct decoder (which fails on any missing or extra field).
type registryRecord struct {
	PID        principal.Principal  `ic:"pid"`
	Role       string               `ic:"role"`
	ParentPID  *principal.Principal `ic:"parent_pid"`
	ModuleHash *[]byte              `ic:"module_hash"`
	CreatedAt  uint64               `ic:"created_at"`
}

type registryEntryRec struct {
	PID    principal.Principal `ic:"pid"`
	Role   string              `ic:"role"`
	Record registryRecord      `ic:"record"`
}

type registryErr struct {
	Code    idl.Variant `ic:"code"`
	Message string      `ic:"message"`
}

type registryResult struct {
	Ok  *[]registryEntryRec `ic:"Ok,variant"`
	Err *registryErr        `ic:"Err,variant"`
}

func TestSeedFleetRegistry(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "demo", Children: 2, Depth: 2, Size: 1 << 20, Controllers: [][]byte{alice}, Seed: 5})
	require.NoError(t, err)
	require.Len(t, f.All, 7)
	require.Equal(t, f.Root, f.All[0])

	out, err := r.Execute(context.Background(), Call{Sender: nil, Canister: f.Root, Method: "canic_subnet_registry", Arg: emptyReply, Kind: Query})
	require.NoError(t, err)
	var res registryResult
	require.NoError(t, idl.Unmarshal(out, []any{&res}))
	require.Nil(t, res.Err)
	require.NotNil(t, res.Ok)
	entries := *res.Ok
	require.Len(t, entries, 7)
	wantRoles := []string{"root", "app_0", "app_1", "app_0_0", "app_0_1", "app_1_0", "app_1_1"}
	wantParents := [][]byte{nil, f.All[0], f.All[0], f.All[1], f.All[1], f.All[2], f.All[2]}
	for i, e := range entries {
		require.Equal(t, f.All[i], e.PID.Raw)
		require.Equal(t, e.PID.Raw, e.Record.PID.Raw)
		require.Equal(t, wantRoles[i], e.Role)
		require.Equal(t, wantRoles[i], e.Record.Role)
		if wantParents[i] == nil {
			require.Nil(t, e.Record.ParentPID)
		} else {
			require.NotNil(t, e.Record.ParentPID)
			require.Equal(t, wantParents[i], e.Record.ParentPID.Raw)
		}
		h, _ := r.ModuleHash(e.PID.Raw)
		require.NotNil(t, e.Record.ModuleHash)
		require.Equal(t, h, *e.Record.ModuleHash)
		want := sha256.Sum256(fleetModule("demo", wantRoles[i]))
		require.Equal(t, want[:], h)
		require.Equal(t, uint64(fixedClock().UnixNano()), e.Record.CreatedAt)
	}
	// Only the root serves the registry.
	_, err = r.Execute(context.Background(), Call{Canister: f.All[1], Method: "canic_subnet_registry", Arg: emptyReply, Kind: Query})
	requireReject(t, err, 5, ErrCanisterMethodNotFound, "canic_subnet_registry")

	_, err = r.SeedFleet(FleetSpec{Name: "x", Children: 100, Depth: 3, Controllers: [][]byte{alice}})
	require.ErrorIs(t, err, ErrBadFleetSpec)
	_, err = r.SeedFleet(FleetSpec{Name: "x"})
	require.ErrorIs(t, err, ErrBadFleetSpec)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "demo", Children: 2, Depth: 1, Size: 1 << 20, Controllers: [][]byte{alice}, Seed: 9})
	require.NoError(t, err)
	c := f.All[1]
	require.NoError(t, mutate(t, r, c, 1))
	snap := take(t, r, c)
	require.NoError(t, mutate(t, r, c, 2))
	mustMgmt(t, r, alice, "stop_canister", canisterIDArg{cid(f.All[2])})
	digests := map[string]string{}
	for _, id := range f.All {
		digests[string(id)] = digestOfAny(t, r, id)
	}

	dir := t.TempDir()
	require.NoError(t, r.Save(dir))
	require.NoError(t, r.Save(dir)) // a second generation replaces the first
	pages, _ := filepath.Glob(filepath.Join(dir, "pages-*.bin"))
	require.Len(t, pages, 1)
	// Only written pages are stored: two 4 KiB mutations touch ≤ 4 pages
	// per memory, shared between canister and snapshot.
	st, err := os.Stat(pages[0])
	require.NoError(t, err)
	require.LessOrEqual(t, st.Size(), int64(8*pageSize))

	back, err := Load(dir, Config{Clock: fixedClock})
	require.NoError(t, err)
	require.Equal(t, r.CanisterIDs(), back.CanisterIDs())
	for _, id := range f.All {
		require.Equal(t, digests[string(id)], digestOfAny(t, back, id))
		a, _ := r.ModuleHash(id)
		b, _ := back.ModuleHash(id)
		require.Equal(t, a, b)
		ca, _ := r.Controllers(id)
		cb, _ := back.Controllers(id)
		require.Equal(t, ca, cb)
	}
	s, _ := back.Status(f.All[2])
	require.Equal(t, "stopped", s)
	out1, err := r.Execute(context.Background(), Call{Canister: f.Root, Method: "canic_subnet_registry", Arg: emptyReply, Kind: Query})
	require.NoError(t, err)
	out2, err := back.Execute(context.Background(), Call{Canister: f.Root, Method: "canic_subnet_registry", Arg: emptyReply, Kind: Query})
	require.NoError(t, err)
	require.Equal(t, out1, out2)

	// The snapshot survived and still restores the old digest.
	before := digestOfAny(t, back, c)
	mustMgmt(t, back, alice, "load_canister_snapshot", snapshotArg{cid(c), snap.ID})
	require.NotEqual(t, before, digestOfAny(t, back, c))
	// New canisters continue the id sequence.
	require.Equal(t, canisterID(uint64(len(f.All))), installed(t, back))

	// Damaged state is reported with file, field and value.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"format":"other"}`), 0o644))
	_, err = Load(dir, Config{})
	require.ErrorIs(t, err, ErrBadState)
	_, err = Load(filepath.Join(dir, "missing"), Config{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func digestOfAny(t *testing.T, r *Replica, id []byte) string {
	t.Helper()
	d, ok := r.Digest(id)
	require.True(t, ok)
	return d
}

// TestLargeSnapshotIsCheap: a 256 MiB canister costs almost nothing to
// create, snapshot and mutate, because unwritten pages are generated on
// demand and written pages are shared copy-on-write.
func TestLargeSnapshotIsCheap(t *testing.T) {
	r := newTestReplica(t)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f, err := r.SeedFleet(FleetSpec{Name: "big", Size: 256 << 20, Controllers: [][]byte{alice}, Seed: 1})
	require.NoError(t, err)
	for i := uint64(0); i < 3; i++ {
		require.NoError(t, mutate(t, r, f.Root, i))
		take(t, r, f.Root)
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("256 MiB canister + 3 mutations + 3 snapshots: %d KiB allocated", alloc>>10)
	require.Less(t, alloc, uint64(16<<20))
}
