// Package simtest starts a simulator for a test and closes it when the test
// ends, and builds agent-go agents that talk to it.
package simtest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go"
	"github.com/aviate-labs/agent-go/identity"
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

// Agent returns an agent-go agent for s that fetches the root key, signs
// as id (the simulator's controller when id is nil), and polls quickly.
func Agent(t testing.TB, s *sim.Simulator, id identity.Identity) *agent.Agent {
	t.Helper()
	if id == nil {
		id = s.ControllerIdentity()
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatalf("simtest: simulator URL: %v", err)
	}
	a, err := agent.New(agent.Config{
		ClientConfig: &agent.ClientConfig{Host: u}, FetchRootKey: true, Identity: id,
		IngressExpiry: 2 * time.Minute, PollDelay: 10 * time.Millisecond, PollTimeout: time.Minute,
	})
	if err != nil {
		t.Fatalf("simtest: agent: %v", err)
	}
	return a
}
