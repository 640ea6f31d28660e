package cyclecost

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFeesMatchThePublishedTables(t *testing.T) {
	assert.Equal(t, big.NewInt(1_200_000), Ingress(0))
	// mainnet.md: a 2,000,000-byte upload chunk costs about 4B cycles.
	chunk := Ingress(2_000_000)
	assert.Equal(t, big.NewInt(4_001_200_000), chunk)
	// 1 GiB kept for the default 30 days: 127,000 × 2,592,000.
	assert.Equal(t, big.NewInt(329_184_000_000), FreezingThreshold(1<<30, DefaultFreezingSeconds))
	assert.Equal(t, big.NewInt(127_000*86_400), IdleBurnPerDay(1<<30))
	assert.Equal(t, big.NewInt(5_000_000+10), Execution(10))
	assert.Equal(t, IngressCall("abc", []byte{1, 2}), Ingress(5))
}

func TestCallAndChunkedTransferSumTheirParts(t *testing.T) {
	one := Call("m", 10, 100)
	want := new(big.Int).Add(Ingress(11), Execution(100))
	assert.Equal(t, want, one)
	// 5 bytes in chunks of 2: calls carrying 2, 2 and 1 bytes.
	got := ChunkedTransfer("m", 5, 2, 3, true)
	want = new(big.Int)
	for _, n := range []uint64{2, 2, 1} {
		want.Add(want, Call("m", 3+n, n))
	}
	assert.Equal(t, want, got)
	// downloads carry the data in the reply, not the argument
	got = ChunkedTransfer("m", 5, 2, 3, false)
	want = new(big.Int)
	for _, n := range []uint64{2, 2, 1} {
		want.Add(want, Call("m", 3, n))
	}
	assert.Equal(t, want, got)
	assert.Zero(t, ChunkedTransfer("m", 5, 0, 3, false).Sign())
	// a 4 GiB restore in 2,000,000-byte chunks costs roughly 8.6T cycles (mainnet.md)
	restore := ChunkedTransfer("upload_canister_snapshot_data", 4<<30, 2_000_000, 100, true)
	assert.Equal(t, 1, restore.Cmp(big.NewInt(8_000_000_000_000)))
	assert.Equal(t, -1, restore.Cmp(big.NewInt(9_000_000_000_000)))
}
