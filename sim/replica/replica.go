// Package replica is the execution engine of the local IC replica simulator:
// canisters, the management canister (aaaaa-aa) with its snapshot API, a tiny
// built-in application interface, Canic root registries, and a state
// directory that survives a restart. The HTTP interface (package sim) calls
// it through Execute and the read-only accessors.
package replica

import (
	"context"
	"fmt"
	"math/big"
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
	// Serves, when set, says which canisters the subnet that received a
	// management canister call holds: a call about any other canister is
	// rejected as not found, as the IC's management canister on one subnet
	// cannot act on another subnet's canister. Nil means all.
	Serves func(canister []byte) bool
}

// Config configures a Replica.
type Config struct {
	// SubnetID is the principal bytes of the simulated subnet (optional).
	SubnetID []byte
	// FirstCanisterIndex is the 64-bit index of the first canister id this
	// replica allocates (ids are index big-endian ‖ 0x01 0x01, as the IC
	// forms them). Index 0 is rwlgt-iiaaa-aaaaa-aaaaa-cai, 1 is rrkah-fqaaa-aaaaa-aaaaq-cai.
	FirstCanisterIndex uint64
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Mainnet holds the cycles and stopping model (see cycles.go, stop.go).
	Mainnet Mainnet
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
	// Bases, when set, spreads the fleet over canister id ranges the way
	// mainnet spreads a fleet over subnets: canister n (root first, then
	// breadth-first) gets the lowest free index at or above
	// Bases[n % len(Bases)]. Empty means consecutive indexes.
	Bases []uint64
	// Cycles is each canister's starting balance; nil means the default
	// provisional balance (100T).
	Cycles *big.Int
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

func newReplica(cfg Config) (*Replica, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Replica{st: newState(cfg)}, nil
}

func (r *Replica) execute(ctx context.Context, c Call) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("execute %s: %w", c.Method, err)
	}
	if len(c.Canister) == 0 {
		if c.Method == "stop_canister" && c.Kind == Update && r.st.cfg.Mainnet.StopDelay > 0 {
			return r.stopWithDelay(ctx, c)
		}
		return r.st.executeMgmt(c)
	}
	return r.st.executeApp(c)
}

// Controllers returns a copy of a canister's controllers, and whether the
// canister exists.
func (r *Replica) Controllers(canister []byte) ([][]byte, bool) {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return nil, false
	}
	return cloneIDs(c.controllers), true
}

// ModuleHash returns the sha256 of a canister's installed module (nil when
// the canister is empty), and whether the canister exists.
func (r *Replica) ModuleHash(canister []byte) ([]byte, bool) {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return nil, false
	}
	return c.moduleHash(), true
}

// CanisterIDs lists every canister id in creation order.
func (r *Replica) CanisterIDs() [][]byte {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	out := make([][]byte, 0, len(r.st.order))
	for _, id := range r.st.order {
		out = append(out, []byte(id))
	}
	return out
}

// Status returns a canister's status ("running", "stopping" or
// "stopped"), and whether the canister exists.
func (r *Replica) Status(canister []byte) (string, bool) {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return "", false
	}
	return c.currentStatus().String(), true
}

// SetStatus forces a canister's status (fault injection, e.g. a stop that
// times out and leaves the canister "stopping").
func (r *Replica) SetStatus(canister []byte, status string) error {
	var st canisterStatus
	switch status {
	case "running":
		st = statusRunning
	case "stopping":
		st = statusStopping
	case "stopped":
		st = statusStopped
	default:
		return fmt.Errorf("%w: %q (want running, stopping or stopped)", ErrBadStatus, status)
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoCanister, text(canister))
	}
	c.status, c.stopAt = st, nil
	return nil
}

// Digest returns what sim_digest would answer for a canister, without the
// status checks of a call.
func (r *Replica) Digest(canister []byte) (string, bool) {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return "", false
	}
	return digest(&c.exec), true
}
