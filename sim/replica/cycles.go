package replica

import (
	"fmt"
	"math/big"
	"time"
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
