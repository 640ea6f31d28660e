package replica

import (
	"encoding/binary"
	"hash"
)

// pageSize is the granularity of copy-on-write sharing: one wasm page.
const pageSize = 64 << 10

// memory is a byte-addressed canister memory (wasm heap or stable memory).
// Bytes that were never written are generated on demand from seed (or read
// as zero when zero is set), so a 256 MiB memory costs nothing until it is
// written. Written pages live in pages and are immutable once shared: a
// clone copies only the page table, and a write to a page the memory does
// not own copies that page first. A memory is guarded by its replica's lock.
type memory struct {
	size  uint64
	seed  uint64
	zero  bool
	pages map[uint64][]byte
	owned map[uint64]bool
}

func newSeededMemory(size, seed uint64) *memory {
	return &memory{size: size, seed: seed, pages: map[uint64][]byte{}, owned: map[uint64]bool{}}
}

func newZeroMemory(size uint64) *memory {
	return &memory{size: size, zero: true, pages: map[uint64][]byte{}, owned: map[uint64]bool{}}
}

// clone returns a copy sharing every page; neither side owns a page after.
func (m *memory) clone() *memory {
	c := &memory{size: m.size, seed: m.seed, zero: m.zero,
		pages: make(map[uint64][]byte, len(m.pages)), owned: map[uint64]bool{}}
	for k, v := range m.pages {
		c.pages[k] = v
	}
	clear(m.owned)
	return c
}

// splitmix64 is the generator of seeded bytes.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// generate fills dst with the never-written content of page idx.
func (m *memory) generate(idx uint64, dst []byte) {
	if m.zero {
		clear(dst)
		return
	}
	base := m.seed*0xD1B54A32D192ED03 + idx*(pageSize/8)
	for w := 0; w < pageSize/8; w++ {
		binary.LittleEndian.PutUint64(dst[w*8:], splitmix64(base+uint64(w)))
	}
}

// pageFor returns the content of page idx, using scratch for a generated one.
func (m *memory) pageFor(idx uint64, scratch []byte) []byte {
	if p, ok := m.pages[idx]; ok {
		return p
	}
	m.generate(idx, scratch)
	return scratch
}

// readAt copies memory[off:off+len(p)] into p; the caller checks bounds.
func (m *memory) readAt(p []byte, off uint64) {
	var scratch []byte
	for len(p) > 0 {
		idx, in := off/pageSize, off%pageSize
		var page []byte
		if pg, ok := m.pages[idx]; ok {
			page = pg
		} else {
			if scratch == nil {
				scratch = make([]byte, pageSize)
			}
			m.generate(idx, scratch)
			page = scratch
		}
		n := copy(p, page[in:])
		p, off = p[n:], off+uint64(n)
	}
}

// writeAt copies p into memory at off, copying shared pages first; the
// caller checks bounds.
func (m *memory) writeAt(p []byte, off uint64) {
	for len(p) > 0 {
		idx, in := off/pageSize, off%pageSize
		page := m.pages[idx]
		if !m.owned[idx] {
			fresh := make([]byte, pageSize)
			if page != nil {
				copy(fresh, page)
			} else if !(in == 0 && len(p) >= pageSize) {
				m.generate(idx, fresh)
			}
			page = fresh
			m.pages[idx] = page
			m.owned[idx] = true
		}
		n := copy(page[in:], p)
		p, off = p[n:], off+uint64(n)
	}
}

// hashInto writes the whole memory into h, page by page.
func (m *memory) hashInto(h hash.Hash) {
	scratch := make([]byte, pageSize)
	for off := uint64(0); off < m.size; off += pageSize {
		page := m.pageFor(off/pageSize, scratch)
		n := m.size - off
		if n > pageSize {
			n = pageSize
		}
		h.Write(page[:n])
	}
}

// equal reports whether two memories hold the same bytes.
func (m *memory) equal(o *memory) bool {
	if m.size != o.size {
		return false
	}
	a, b := make([]byte, pageSize), make([]byte, pageSize)
	for off := uint64(0); off < m.size; off += pageSize {
		idx := off / pageSize
		pa, pb := m.pages[idx], o.pages[idx]
		if pa != nil && pb != nil && &pa[0] == &pb[0] {
			continue
		}
		if pa == nil && pb == nil && m.zero == o.zero && (m.zero || m.seed == o.seed) {
			continue
		}
		x, y := m.pageFor(idx, a), o.pageFor(idx, b)
		n := m.size - off
		if n > pageSize {
			n = pageSize
		}
		if string(x[:n]) != string(y[:n]) {
			return false
		}
	}
	return true
}
