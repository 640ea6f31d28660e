package replica

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagesOf copies every page of every canister's memories, by canister.
func pagesOf(r *Replica, ids [][]byte) [][][]byte {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	var out [][][]byte
	for _, id := range ids {
		c := r.st.canisters[string(id)]
		var pages [][]byte
		for _, m := range []*memory{c.exec.wasm, c.exec.stable} {
			for off := uint64(0); off+pageSize <= m.size; off += pageSize {
				p := make([]byte, pageSize)
				m.readAt(p, off)
				pages = append(pages, p)
			}
		}
		out = append(out, pages)
	}
	return out
}

// TestMutateFraction: one night changes about the fraction of each
// canister's pages, whole pages, differently each seed, and rejects a
// fraction outside [0, 1].
func TestMutateFraction(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "n", Children: 3, Depth: 1, Size: 8 << 20, Controllers: [][]byte{alice}, Seed: 9})
	require.NoError(t, err)
	require.Len(t, f.All, 4)
	before := pagesOf(r, f.All)
	d0 := digestOfAny(t, r, f.All[0])
	n, err := r.MutateFraction(1, 0.05)
	require.NoError(t, err)
	assert.Positive(t, n)
	after := pagesOf(r, f.All)
	var changed, total int
	for c := range before {
		cc := 0
		for i := range before[c] {
			if !bytes.Equal(before[c][i], after[c][i]) {
				cc++
			}
		}
		assert.Positive(t, cc, "canister %d changed", c)
		changed += cc
		total += len(before[c])
	}
	assert.Equal(t, int(n/pageSize), changed)
	assert.InDelta(t, 0.05, float64(changed)/float64(total), 0.01)
	assert.NotEqual(t, d0, digestOfAny(t, r, f.All[0]))

	_, err = r.MutateFraction(1, 1.5)
	require.Error(t, err)
}
