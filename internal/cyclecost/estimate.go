package cyclecost

import "math/big"

// Estimates of what one backup or restore charges a canister, for the
// engine's preflight. They follow the simulator's (and the IC's) model
// above and err on the side of too much: a canister that passes can pay,
// one that fails is refused before anything is stopped.

// Per-call sizes the estimates assume: a management call's method name and
// candid argument (a canister id, a snapshot id, offsets) stay below
// SmallCallBytes; snapshot data moves in chunks of DataChunkBytes, the
// IC's largest read slice.
const (
	SmallCallBytes uint64 = 128
	DataChunkBytes uint64 = 2_000_000
	// BackupSmallCalls counts the small calls one canister's backup sends
	// about it: status reads (preflight, before the take, reconciliation),
	// snapshot listings (before and after the take, on resume), stop,
	// start and the metadata read, with room for retries.
	BackupSmallCalls uint64 = 16
	// RestoreSmallCalls is the same for a restore: status, listings,
	// stop, start, metadata upload.
	RestoreSmallCalls uint64 = 16
)

// Estimate is what a canister must hold, split into its parts.
type Estimate struct {
	// Freezing is the freezing threshold once the new snapshot counts
	// towards the canister's memory.
	Freezing *big.Int
	// Calls is the fees of the calls (ingress and execution).
	Calls *big.Int
}

// Total is Freezing + Calls: the balance below which the run would be
// refused with IC0207 before it finished.
func (e Estimate) Total() *big.Int { return new(big.Int).Add(e.Freezing, e.Calls) }

// Backup estimates one canister's backup: memoryBytes is its memory size
// as canister_status reports it (the snapshot is assumed as large, a bound
// since memory_size counts existing snapshots too) and freezingSeconds its
// freezing_threshold setting. The calls are BackupSmallCalls small calls,
// take_canister_snapshot copying memoryBytes, and the snapshot read in
// DataChunkBytes slices.
func Backup(memoryBytes, freezingSeconds uint64) Estimate {
	calls := new(big.Int)
	for i := uint64(0); i < BackupSmallCalls; i++ {
		calls.Add(calls, Call("canister_status", SmallCallBytes, 0))
	}
	calls.Add(calls, Call("take_canister_snapshot", SmallCallBytes, memoryBytes))
	calls.Add(calls, ChunkedTransfer("read_canister_snapshot_data", memoryBytes, DataChunkBytes, SmallCallBytes, false))
	return Estimate{Freezing: FreezingThreshold(2*memoryBytes, freezingSeconds), Calls: calls}
}

// Restore estimates one canister's restore of a snapshot of
// snapshotBytes into a canister of memoryBytes: the upload in
// DataChunkBytes chunks carried in the argument, load_canister_snapshot
// copying snapshotBytes, RestoreSmallCalls small calls; the freezing
// threshold counts the uploaded snapshot on top of the memory.
func Restore(memoryBytes, snapshotBytes, freezingSeconds uint64) Estimate {
	calls := new(big.Int)
	for i := uint64(0); i < RestoreSmallCalls; i++ {
		calls.Add(calls, Call("canister_status", SmallCallBytes, 0))
	}
	calls.Add(calls, ChunkedTransfer("upload_canister_snapshot_data", snapshotBytes, DataChunkBytes, SmallCallBytes, true))
	calls.Add(calls, Call("load_canister_snapshot", SmallCallBytes, snapshotBytes))
	return Estimate{Freezing: FreezingThreshold(memoryBytes+snapshotBytes, freezingSeconds), Calls: calls}
}
