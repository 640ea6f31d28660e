package sim

import "fmt"

// MutateFraction changes about fraction (0 to 1) of every canister's
// memory at random 64 KiB pages, reproducibly for a seed: one "night" of a
// fleet whose state changes by, say, 1% a day (MutateFraction(night, 0.01)).
// It returns the bytes changed and saves the state as an update would.
func (s *Simulator) MutateFraction(seed uint64, fraction float64) (int64, error) {
	n, err := s.rep.MutateFraction(seed, fraction)
	if err != nil {
		return 0, fmt.Errorf("sim: %w", err)
	}
	s.changed()
	return n, nil
}
