package sim

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/sim/envelope"
)

const maxIngressWindow = envelope.MaxIngressTTL

// faultState holds the live fault knobs, their dice and the in-flight cap.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
	sem chan struct{} // nil when uncapped
}

func newFaultState(f Faults) *faultState {
	fs := &faultState{}
	fs.set(f)
	return fs
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.rng == nil || f.Seed != fs.f.Seed {
		fs.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
	if f.MaxInFlight != fs.f.MaxInFlight || fs.sem == nil && f.MaxInFlight > 0 {
		fs.sem = nil
		if f.MaxInFlight > 0 {
			fs.sem = make(chan struct{}, f.MaxInFlight)
		}
	}
	fs.f = f
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// roll returns the fault dice for one arriving update call.
func (fs *faultState) roll() (transient, lost bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f.TransientRejectRate > 0 && fs.rng.Float64() < fs.f.TransientRejectRate {
		return true, false
	}
	if fs.f.LostResponseRate > 0 && fs.rng.Float64() < fs.f.LostResponseRate {
		return false, true
	}
	return false, false
}

// acquire waits for an in-flight slot and returns its release function.
func (fs *faultState) acquire(ctx context.Context) (func(), error) {
	fs.mu.Lock()
	sem := fs.sem
	fs.mu.Unlock()
	if sem == nil {
		return func() {}, nil
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
