package replica

import (
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/stretchr/testify/require"
)

// TestDecoderMatchesAgentGo: the fast decoder and agent-go's idl.Decode give
// the same values (blobs aside, which agent-go returns as []any of bytes),
// and agent-go decodes the hand-encoded chunk reply.
func TestDecoderMatchesAgentGo(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "d", Children: 1, Depth: 1, Size: 1 << 16, Controllers: [][]byte{alice}, Seed: 4})
	require.NoError(t, err)
	status := mustMgmt(t, r, alice, "canister_status", canisterIDArg{cid(f.Root)})
	snap := take(t, r, f.Root)
	meta := mustMgmt(t, r, alice, "read_canister_snapshot_metadata", snapshotArg{cid(f.Root), snap.ID})
	for _, msg := range [][]byte{status, meta} {
		_, want, err := idl.Decode(msg)
		require.NoError(t, err)
		got, err := decodeCandid(msg)
		require.NoError(t, err)
		require.Equal(t, normalize(want), normalize(got))
	}
	var reply struct {
		Chunk []byte `ic:"chunk"`
	}
	require.NoError(t, idl.Unmarshal(encodeChunkReply([]byte{1, 2, 3}), []any{&reply}))
	require.Equal(t, []byte{1, 2, 3}, reply.Chunk)

	for _, bad := range [][]byte{nil, []byte("DIDX"), []byte("DIDL\x01\x6d"), []byte("DIDL\x00\x01\x71\x05ab")} {
		_, err := decodeCandid(bad)
		require.Error(t, err, "%q", bad)
	}
}

// normalize turns []any of bytes into []byte and drops agent-go's Type
// field of variants, so both decoders' values compare.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(uint8); ok {
				b, _ := toBlob(x)
				return b
			}
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		if len(out) == 0 {
			return []any(nil)
		}
		return out
	case []byte:
		if len(x) == 0 {
			return []any(nil)
		}
		return x
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case *idl.Variant:
		return [2]any{x.Name, normalize(x.Value)}
	case idl.Nat:
		return x.BigInt().String()
	default:
		return v
	}
}
