package leb128

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnsignedKnownVectors: the encodings of the LEB128 article and the
// Candid spec, and a round trip at the edges.
func TestUnsignedKnownVectors(t *testing.T) {
	for n, want := range map[uint64][]byte{
		0: {0}, 127: {0x7f}, 128: {0x80, 0x01}, 624485: {0xe5, 0x8e, 0x26},
		math.MaxUint64: {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		assert.Equal(t, want, EncodeUnsigned(n))
		v, k, err := DecodeUnsigned(append(want, 0xaa))
		require.NoError(t, err)
		assert.Equal(t, n, v)
		assert.Equal(t, len(want), k)
	}
	assert.Equal(t, []byte{9, 0x80, 0x01}, AppendUnsigned([]byte{9}, 128))
}

// TestUnsignedAgreesWithUvarint: DecodeUnsigned accepts and refuses what
// encoding/binary.Uvarint does (the decoder the Candid readers used).
func TestUnsignedAgreesWithUvarint(t *testing.T) {
	for _, in := range [][]byte{
		{}, {0x80}, {0x80, 0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, {0x01}, {0x96, 0x01},
	} {
		want, wn := binary.Uvarint(in)
		v, n, err := DecodeUnsigned(in)
		if wn <= 0 {
			assert.Error(t, err, "%x", in)
			if wn == 0 {
				assert.ErrorIs(t, err, ErrTruncated)
			} else {
				assert.ErrorIs(t, err, ErrTooLong)
			}
			continue
		}
		require.NoError(t, err, "%x", in)
		assert.Equal(t, want, v)
		assert.Equal(t, wn, n)
	}
}

// TestSigned: two's-complement vectors from the Candid spec, round trips,
// and refusal of truncated and over-long input.
func TestSigned(t *testing.T) {
	for n, want := range map[int64][]byte{
		0: {0}, -1: {0x7f}, 63: {0x3f}, 64: {0xc0, 0x00}, -64: {0x40}, -65: {0xbf, 0x7f},
		-123456: {0xc0, 0xbb, 0x78},
	} {
		assert.Equal(t, want, EncodeSigned(n), "%d", n)
		v, k, err := DecodeSigned(want)
		require.NoError(t, err)
		assert.Equal(t, n, v)
		assert.Equal(t, len(want), k)
	}
	for _, n := range []int64{math.MinInt64, math.MaxInt64, -24, 1 << 40} {
		v, _, err := DecodeSigned(EncodeSigned(n))
		require.NoError(t, err)
		assert.Equal(t, n, v)
	}
	_, _, err := DecodeSigned([]byte{0x80, 0x80})
	assert.ErrorIs(t, err, ErrTruncated)
	_, _, err = DecodeSigned([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})
	assert.ErrorIs(t, err, ErrTooLong)
}
