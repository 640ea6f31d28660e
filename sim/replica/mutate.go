package replica

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// MutateFraction overwrites about fraction (0 to 1) of every canister's
// wasm and stable memory with fresh random bytes, in whole 64 KiB pages at
// random places: one simulated "night" of state changes. The same seed
// and state give the same changes. It returns how many bytes changed.
func (r *Replica) MutateFraction(seed uint64, fraction float64) (int64, error) {
	if fraction < 0 || fraction > 1 {
		return 0, fmt.Errorf("replica: mutate fraction %v: must be between 0 and 1", fraction)
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	ids := make([]string, 0, len(r.st.canisters))
	for id := range r.st.canisters {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rng := rand.New(rand.NewPCG(seed, 0x6d757461746521))
	page := make([]byte, pageSize)
	var n int64
	for _, id := range ids {
		c := r.st.canisters[id]
		for _, m := range []*memory{c.exec.wasm, c.exec.stable} {
			if m == nil || m.size < pageSize {
				continue
			}
			pages := m.size / pageSize
			k := uint64(float64(pages)*fraction + 0.5)
			for _, idx := range rng.Perm(int(pages))[:k] {
				for i := range page {
					page[i] = byte(rng.Uint32())
				}
				m.writeAt(page, uint64(idx)*pageSize)
				n += pageSize
			}
		}
	}
	return n, nil
}
