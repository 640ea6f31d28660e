package replica

import (
	"testing"
)

// BenchmarkRead256MiBSlice reads one 2,000,000-byte slice of a 256 MiB
// snapshot's wasm memory, as a download does per call.
func BenchmarkRead256MiBSlice(b *testing.B) {
	r, _ := New(Config{Clock: fixedClock})
	f, err := r.SeedFleet(FleetSpec{Name: "big", Size: 256 << 20, Controllers: [][]byte{alice}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	r.st.mu.Lock()
	c := r.st.canisters[string(f.Root)]
	snap := &snapshot{state: c.exec.clone()}
	r.st.mu.Unlock()
	buf := make([]byte, maxSliceSize)
	b.SetBytes(maxSliceSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := uint64(i%90) * maxSliceSize
		snap.state.wasm.readAt(buf, off)
		_ = encodeChunkReply(buf)
	}
}

// BenchmarkDigest256MiB hashes a 256 MiB canister (sim_digest).
func BenchmarkDigest256MiB(b *testing.B) {
	r, _ := New(Config{Clock: fixedClock})
	f, err := r.SeedFleet(FleetSpec{Name: "big", Size: 256 << 20, Controllers: [][]byte{alice}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(256 << 20)
	for i := 0; i < b.N; i++ {
		if _, ok := r.Digest(f.Root); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkDecodeUploadChunk decodes a 2,000,000-byte upload argument.
func BenchmarkDecodeUploadChunk(b *testing.B) {
	arg := encodeChunkReply(make([]byte, maxSliceSize))
	b.SetBytes(maxSliceSize)
	for i := 0; i < b.N; i++ {
		if _, err := decodeCandid(arg); err != nil {
			b.Fatal(err)
		}
	}
}
