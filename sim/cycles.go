package sim

import (
	"fmt"
	"math/big"

	"github.com/aviate-labs/agent-go/principal"
)

// startCycles is the balance seeded canisters start with.
func (s *Simulator) startCycles() *big.Int {
	if s.cycles == 0 {
		return new(big.Int).SetUint64(DefaultCycles)
	}
	return new(big.Int).SetUint64(s.cycles)
}

// SetCycles sets one canister's cycles balance, e.g. to make it too poor
// to pay for a snapshot.
func (s *Simulator) SetCycles(id principal.Principal, amount uint64) error {
	if err := s.rep.SetCycles(id.Raw, new(big.Int).SetUint64(amount)); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// CanisterCycles returns a canister's cycles balance (saturated at the
// largest uint64), and whether the canister exists.
func (s *Simulator) CanisterCycles(id principal.Principal) (uint64, bool) {
	c, ok := s.rep.Cycles(id.Raw)
	if !ok {
		return 0, false
	}
	if !c.IsUint64() {
		return ^uint64(0), true
	}
	return c.Uint64(), true
}
