package replica

import (
	"fmt"
	"math/big"
	"time"

	"github.com/canic-backup/canic-backup/internal/cyclecost"
)

// Mainnet configures the parts of the replica that behave as on mainnet
// rather than as a free local replica: cycles charging and freezing, and
// stops that take time. The zero value charges cycles with the published
// fees (balances start generous) and stops at once.
type Mainnet struct {
	// FreeCycles turns cycles charging off entirely.
	FreeCycles bool
	// StopDelay is how long a stop takes; zero stops at once.
	StopDelay time.Duration
	// StopTimeout is how long stop_canister waits before it is rejected
	// with IC0206; zero means 5 minutes, as on the IC.
	StopTimeout time.Duration
}

// Cycles returns a copy of a canister's balance, and whether it exists.
func (r *Replica) Cycles(canister []byte) (*big.Int, bool) {
	r.st.mu.RLock()
	defer r.st.mu.RUnlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return nil, false
	}
	return new(big.Int).Set(c.cycles), true
}

// SetCycles sets a canister's balance (tests: a canister low on cycles).
func (r *Replica) SetCycles(canister []byte, amount *big.Int) error {
	if amount == nil || amount.Sign() < 0 {
		return fmt.Errorf("replica: set cycles of %s: amount %v must not be negative", text(canister), amount)
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	c, ok := r.st.canisters[string(canister)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoCanister, text(canister))
	}
	c.cycles = new(big.Int).Set(amount)
	return nil
}

// memory is the canister's memory as the IC bills it: its state plus
// every snapshot.
func (c *canister) memory() uint64 { return c.exec.size() + c.snapshotsSize() }

// freezingThreshold is the balance below which c is frozen with memory
// bytes of memory.
func freezingThreshold(memory uint64) *big.Int {
	return cyclecost.FreezingThreshold(memory, cyclecost.DefaultFreezingSeconds)
}

// charge takes cost from c, provided c keeps at least its freezing
// threshold for memAfter bytes of memory; otherwise it rejects with IC0207
// and charges nothing.
func (s *state) charge(c *canister, cost *big.Int, memAfter uint64) error {
	if s.cfg.Mainnet.FreeCycles {
		return nil
	}
	threshold := freezingThreshold(memAfter)
	need := new(big.Int).Add(cost, threshold)
	if c.cycles.Cmp(need) < 0 {
		return reject(ErrCanisterOutOfCycles,
			"Canister %s is out of cycles: requested %s cycles but the available balance is %s cycles and the freezing threshold %s cycles",
			text(c.id), cost, c.cycles, threshold)
	}
	c.cycles = new(big.Int).Sub(c.cycles, cost)
	return nil
}

// chargeMgmt charges the execution of a management update call to its
// target canister (see package cyclecost). Calls without a target, or
// whose target is unknown, are left to the handler's own checks.
func (s *state) chargeMgmt(method string, a args) error {
	id, err := a.principal("canister_id")
	if err != nil {
		return nil
	}
	c, ok := s.canisters[string(id)]
	if !ok {
		return nil
	}
	var data uint64
	mem := c.memory()
	switch method {
	case "take_canister_snapshot":
		data = c.exec.size()
		mem += data
		if rid, ok, err := a.optBlob("replace_snapshot"); err == nil && ok {
			if old := c.findSnapshot(rid); old != nil && old.totalSize() <= mem {
				mem -= old.totalSize()
			}
		}
	case "upload_canister_snapshot_metadata":
		// the uploaded snapshot's declared size counts as memory from now on
		for _, f := range []string{"wasm_module_size", "wasm_memory_size", "stable_memory_size"} {
			if n, err := a.nat64(f); err == nil && n <= maxStable {
				mem += n
			}
		}
		if rid, ok, err := a.optBlob("replace_snapshot"); err == nil && ok {
			if old := c.findSnapshot(rid); old != nil && old.totalSize() <= mem {
				mem -= old.totalSize()
			}
		}
	case "load_canister_snapshot":
		if snap, _, err := s.sourceSnapshot(c, a); err == nil {
			data = snap.totalSize()
		}
	case "read_canister_snapshot_data":
		if kind, v, err := a.variant("kind", "wasm_module", "wasm_memory", "stable_memory", "wasm_chunk"); err == nil && kind != "wasm_chunk" {
			if n, err := a.sub(v).nat64("size"); err == nil {
				data = n
			}
		}
	case "upload_canister_snapshot_data":
		if chunk, err := a.blob("chunk"); err == nil {
			data = uint64(len(chunk))
		}
	}
	return s.charge(c, cyclecost.Execution(data), mem)
}
