package replica

import (
	"crypto/sha256"
	"fmt"
)

// maxFleetCanisters bounds SeedFleet.
const maxFleetCanisters = 10_000

// fleetModule is the wasm module a seeded fleet canister runs: a valid wasm
// header followed by the fleet and role names, so each role has its own
// module hash.
func fleetModule(fleet, role string) []byte {
	return append([]byte("\x00asm\x01\x00\x00\x00"), fmt.Sprintf("canic-sim:%s:%s", fleet, role)...)
}

// SeedFleet creates and installs a Canic fleet: a root canister with role
// "root" that answers canic_subnet_registry, Children children per node and
// Depth levels below the root (roles "app_0", "app_0_1", ...). Each canister
// gets Size bytes of memory (three quarters wasm memory, a quarter stable
// memory) generated from Seed, and is running.
func (r *Replica) SeedFleet(spec FleetSpec) (Fleet, error) {
	switch {
	case spec.Name == "":
		return Fleet{}, fmt.Errorf("%w: Name is empty", ErrBadFleetSpec)
	case spec.Children < 0 || spec.Depth < 0:
		return Fleet{}, fmt.Errorf("%w: Children %d and Depth %d must not be negative", ErrBadFleetSpec, spec.Children, spec.Depth)
	case spec.Size < 0:
		return Fleet{}, fmt.Errorf("%w: Size %d must not be negative", ErrBadFleetSpec, spec.Size)
	case len(spec.Controllers) == 0:
		return Fleet{}, fmt.Errorf("%w: Controllers is empty", ErrBadFleetSpec)
	}
	total, level := 1, 1
	for d := 0; d < spec.Depth; d++ {
		level *= spec.Children
		total += level
		if total > maxFleetCanisters {
			return Fleet{}, fmt.Errorf("%w: %d children over %d levels exceed %d canisters", ErrBadFleetSpec, spec.Children, spec.Depth, maxFleetCanisters)
		}
	}
	s := r.st
	s.mu.Lock()
	defer s.mu.Unlock()

	type node struct {
		c      *canister
		role   string
		parent []byte
		depth  int
	}
	stable := uint64(spec.Size) / 4
	wasm := uint64(spec.Size) - stable
	cycles := defaultProvisionalCycles
	if spec.Cycles != nil {
		cycles = spec.Cycles
	}
	next := append([]uint64{}, spec.Bases...)
	created := 0
	install := func(role string) *canister {
		var c *canister
		if len(next) == 0 {
			c = s.createCanister(spec.Controllers, cycles)
		} else {
			b := created % len(next)
			for s.canisters[string(canisterID(next[b]))] != nil {
				next[b]++
			}
			c = s.createCanisterWithID(canisterID(next[b]), spec.Controllers, cycles)
			next[b]++
		}
		created++
		c.exec.module = fleetModule(spec.Name, role)
		seed := splitmix64(spec.Seed ^ splitmix64(c.index))
		c.exec.wasm = newSeededMemory(wasm, seed)
		c.exec.stable = newSeededMemory(stable, splitmix64(seed))
		c.exec.globals = defaultGlobals()
		c.version = 1
		return c
	}
	root := &node{c: install("root"), role: "root"}
	queue := []*node{root}
	all := []*node{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.depth == spec.Depth {
			continue
		}
		for i := 0; i < spec.Children; i++ {
			role := fmt.Sprintf("app_%d", i)
			if n != root {
				role = fmt.Sprintf("%s_%d", n.role, i)
			}
			child := &node{c: install(role), role: role, parent: n.c.id, depth: n.depth + 1}
			queue = append(queue, child)
			all = append(all, child)
		}
	}
	now := s.nowNanos()
	out := Fleet{Root: append([]byte{}, root.c.id...)}
	root.c.registry = make([]registryEntry, 0, len(all))
	for _, n := range all {
		h := sha256.Sum256(n.c.exec.module)
		root.c.registry = append(root.c.registry, registryEntry{
			PID: n.c.id, Role: n.role, ParentPID: n.parent, ModuleHash: h[:], CreatedAt: now,
		})
		out.All = append(out.All, append([]byte{}, n.c.id...))
	}
	return out, nil
}
