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
