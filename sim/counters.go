package sim

import (
	"maps"
	"sync"
)

// Counters is a snapshot of what the simulator has served.
type Counters struct {
	// Calls counts update calls accepted per method name.
	Calls map[string]uint64 `json:"calls"`
	// Queries counts queries per method name.
	Queries map[string]uint64 `json:"queries"`
	// Endpoints counts HTTP requests per route, such as "v4/call".
	Endpoints map[string]uint64 `json:"endpoints"`
	// BadRequests counts requests refused before execution (malformed,
	// expired, bad signature).
	BadRequests uint64 `json:"bad_requests"`
	// TransientRejects counts calls rejected by the TransientRejectRate knob.
	TransientRejects uint64 `json:"transient_rejects"`
	// LostResponses counts calls executed whose response was dropped.
	LostResponses uint64 `json:"lost_responses"`
	// MaxInFlight is the highest number of calls executing at once.
	MaxInFlight uint64 `json:"max_in_flight"`
	// Saves counts state saves to the state directory (autosave, SyncSave,
	// Save and Close).
	Saves uint64 `json:"saves"`
	// SaveErrors counts saves that failed.
	SaveErrors uint64 `json:"save_errors"`
	// RateLimited counts requests answered 429 by the RateLimit (not
	// forwarded).
	RateLimited uint64 `json:"rate_limited"`
	// InsideRetryAfter counts requests that arrived inside a Retry-After
	// window the simulator had announced with a 429 (more than 250ms after
	// the 429, so requests already in flight do not count): a client that
	// honours Retry-After keeps it at zero.
	InsideRetryAfter uint64 `json:"inside_retry_after"`
	// NonReplicatedRejections counts update calls refused before execution
	// (answered non_replicated_rejection, never certified).
	NonReplicatedRejections uint64 `json:"non_replicated_rejections"`
	// OutOfCycles counts calls rejected with IC0207 CanisterOutOfCycles.
	OutOfCycles uint64 `json:"out_of_cycles"`
	// StopTimeouts counts stop_canister calls rejected with IC0206.
	StopTimeouts uint64 `json:"stop_timeouts"`
}

// counters is the live, mutex-guarded form of Counters.
type counters struct {
	mu       sync.Mutex
	c        Counters
	inFlight uint64
}

func newCounters() *counters {
	return &counters{c: Counters{
		Calls: map[string]uint64{}, Queries: map[string]uint64{}, Endpoints: map[string]uint64{},
	}}
}

func (k *counters) add(f func(c *Counters)) {
	k.mu.Lock()
	f(&k.c)
	k.mu.Unlock()
}

func (k *counters) enter() {
	k.mu.Lock()
	k.inFlight++
	if k.inFlight > k.c.MaxInFlight {
		k.c.MaxInFlight = k.inFlight
	}
	k.mu.Unlock()
}

func (k *counters) leave() {
	k.mu.Lock()
	k.inFlight--
	k.mu.Unlock()
}

func (k *counters) snapshot() Counters {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := k.c
	out.Calls = maps.Clone(k.c.Calls)
	out.Queries = maps.Clone(k.c.Queries)
	out.Endpoints = maps.Clone(k.c.Endpoints)
	return out
}

func (k *counters) reset() {
	k.mu.Lock()
	k.c = Counters{Calls: map[string]uint64{}, Queries: map[string]uint64{}, Endpoints: map[string]uint64{}}
	k.mu.Unlock()
}
