// Package replica is the execution engine of the local IC replica simulator:
// canisters, the management canister (aaaaa-aa) with its snapshot API, a tiny
// built-in application interface, Canic root registries, and a state
// directory that survives a restart. The HTTP interface (package sim) calls
// it through Execute and the read-only accessors.
package replica

import (
	"context"
	"time"
)

// CallKind says whether a call is an update (replicated) or a query.
type CallKind int

const (
	// Update is a replicated call that may change state.
	Update CallKind = iota
	// Query is a read-only call; state changes are discarded.
	Query
)

// String names the call kind.
func (k CallKind) String() string {
	if k == Query {
		return "query"
	}
	return "update"
}

// Call is one message to a canister (or to the management canister, whose
// id is the empty byte slice).
type Call struct {
	// Sender is the caller's principal bytes.
	Sender []byte
	// Canister is the callee's principal bytes; empty means aaaaa-aa.
	Canister []byte
	// Method is the method name.
	Method string
	// Arg is the candid-encoded argument.
	Arg []byte
	// Kind is Update or Query.
	Kind CallKind
}

// Config configures a Replica.
type Config struct {
	// SubnetID is the principal bytes of the simulated subnet (optional).
	SubnetID []byte
	// FirstCanisterIndex is the 64-bit index of the first canister id this
	// replica allocates (ids are index big-endian ‖ 0x01 0x01, as the IC
	// forms them). Zero means 0 (rrkah-fqaaa-aaaaa-aaaaq-cai).
	FirstCanisterIndex uint64
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// FleetSpec describes a Canic fleet for SeedFleet.
type FleetSpec struct {
	// Name names the fleet; it seeds role names and memory contents.
	Name string
	// Children is the number of children per node below the root.
	Children int
	// Depth is the number of levels below the root (1 = root + children,
	// 2 adds grandchildren, ...). Zero means a root alone.
	Depth int
	// Size is the memory bytes per canister (split between wasm memory and
	// stable memory).
	Size int64
	// Controllers control every canister of the fleet.
	Controllers [][]byte
	// Seed makes the memory contents deterministic.
	Seed uint64
}

// Fleet is what SeedFleet created.
type Fleet struct {
	// Root is the Canic root canister id.
	Root []byte
	// All lists every canister id, root first, then breadth-first.
	All [][]byte
}

// Replica holds the simulated subnet's canisters. It is safe for
// concurrent use.
type Replica struct {
	st *state
}

// New returns an empty replica.
func New(cfg Config) (*Replica, error) {
	return newReplica(cfg)
}

// Execute runs one call and returns its candid reply, or a *Reject.
func (r *Replica) Execute(ctx context.Context, c Call) ([]byte, error) {
	return r.execute(ctx, c)
}
