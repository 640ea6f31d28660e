// Package simtest starts a simulator for a test and closes it when the test
// ends, and builds small pure-Go agents (Client) that talk to it.
package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/sim"
)

// SmallFleet returns a fleet that keeps tests fast: a root and two
// children of 2 MiB each.
func SmallFleet() sim.Fleet {
	return sim.Fleet{Name: "test", Children: 2, Depth: 1, Size: 2 << 20, Seed: 1}
}

// Start starts a simulator on a free loopback port with opts (SmallFleet
// when opts.Fleet is zero) and closes it with t.Cleanup. It fails the test
// if the simulator does not start.
func Start(t testing.TB, opts sim.Options) *sim.Simulator {
	t.Helper()
	if opts.Fleet == (sim.Fleet{}) {
		opts.Fleet = SmallFleet()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sim.Start(ctx, opts)
	if err != nil {
		t.Fatalf("simtest: start simulator: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("simtest: close simulator: %v", err)
		}
	})
	return s
}
