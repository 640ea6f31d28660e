package sim

import (
	"time"
)

// DefaultAddr is the listen address used when Options.Addr is empty: a free
// loopback port.
const DefaultAddr = "127.0.0.1:0"

// Fleet describes the Canic fleet the simulator seeds on first start.
type Fleet struct {
	// Name names the fleet (seeds role names and memory contents).
	Name string
	// Children is the number of children per node below the root.
	Children int
	// Depth is the number of levels below the root; 0 is a root alone.
	Depth int
	// Size is the memory bytes per canister.
	Size int64
	// Seed makes memory contents deterministic.
	Seed uint64
}

// Faults are the simulator's realism and fault knobs. The zero value means
// no latency and no faults.
type Faults struct {
	// UpdateLatency delays every update call before it executes.
	UpdateLatency time.Duration
	// QueryLatency delays every query before it executes.
	QueryLatency time.Duration
	// TransientRejectRate is the fraction (0..1) of update calls rejected
	// with reject code 2 (SYS_TRANSIENT) without executing.
	TransientRejectRate float64
	// LostResponseRate is the fraction (0..1) of update calls that execute
	// but whose response is lost: the connection is dropped and the request
	// status is "done" without a reply, so the client must reconcile.
	LostResponseRate float64
	// MaxInFlight caps concurrently executing calls (updates and queries);
	// further calls wait. Zero means no cap.
	MaxInFlight int
	// Seed seeds the fault dice; equal seeds give equal fault sequences for
	// equal call sequences.
	Seed uint64
}

// Options configure Start.
type Options struct {
	// Addr is the TCP listen address; empty means DefaultAddr.
	Addr string
	// Fleet is seeded on first start (ignored when StateDir holds state).
	Fleet Fleet
	// StateDir, when set, holds the simulator's keys, controller identity
	// and replica state, so a restart continues where Close left off. When
	// empty the simulator keeps its identity PEM in a temporary directory
	// removed by Close.
	StateDir string
	// KeySeed derives the subnet BLS key, node keys and controller identity
	// of a fresh state; empty means random. Ignored when StateDir holds state.
	KeySeed []byte
	// Subnets is the number of subnets of a fresh state: 1 is a single
	// subnet that is also the root subnet (no delegations); N > 1 is the
	// mainnet shape, an NNS subnet holding none of the fleet plus N-1
	// application subnets with their own keys and canister ranges, over
	// which the fleet is spread, their certificates carrying the NNS
	// delegation. Zero means DefaultSubnets (3). Ignored when StateDir
	// holds state.
	Subnets int
	// Faults are the initial fault knobs.
	Faults Faults
	// SyncCallTimeout bounds how long a v3/v4 call waits for its result
	// before answering 202 (the client then polls); zero means 10s.
	SyncCallTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AutosaveInterval, with a StateDir, saves the state in the background
	// after update calls that change it: the first change after a quiet
	// spell at once, later ones at most once per interval (and a save never
	// takes more than a fifth of the time). A simulator killed without
	// Close then loses at most about one interval of changes. Zero means
	// only Close and Save write the state.
	AutosaveInterval time.Duration
	// SyncSave, with a StateDir, saves the state before replying to every
	// update call that changed it, so a reply the client saw is never lost
	// (slow with large fleets; for crash tests).
	SyncSave bool
	// RateLimit is the number of requests per second the simulated
	// boundary node accepts (a token bucket holding one second's worth);
	// beyond it a request is answered 429 Too Many Requests with a
	// Retry-After header and is not forwarded. Zero means unlimited.
	RateLimit float64
	// Cycles is each seeded canister's starting cycles balance; zero means
	// DefaultCycles. Calls are charged as internal/cyclecost describes and
	// a canister that cannot pay, or would fall below its freezing
	// threshold, is rejected with IC0207 CanisterOutOfCycles.
	Cycles uint64
	// StopDelay is how long stop_canister takes to stop a canister (it is
	// "stopping" meanwhile); zero stops at once.
	StopDelay time.Duration
	// StopTimeout is how long a stop_canister call waits before it is
	// rejected with IC0206 (SYS_TRANSIENT), leaving the canister stopping
	// until StopDelay has elapsed; zero means the IC's DefaultStopTimeout.
	StopTimeout time.Duration
}

// DefaultCycles is a seeded canister's balance when Options.Cycles is zero:
// the IC's default provisional balance (100T cycles), generous enough for
// restores of several GiB.
const DefaultCycles uint64 = 100_000_000_000_000

// DefaultStopTimeout is how long the IC lets a stop_canister call wait for
// the canister to stop before rejecting it with IC0206 (the replica's
// stop-canister timeout, 5 minutes).
const DefaultStopTimeout = 5 * time.Minute
