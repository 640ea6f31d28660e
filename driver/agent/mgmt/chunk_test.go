package mgmt

import (
	"bytes"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUploadDataArgDecodesAsCandid checks the hand-written encoder against
// agent-go's generic decoder for every kind.
func TestUploadDataArgDecodesAsCandid(t *testing.T) {
	c := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}}
	id := []byte{0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}
	chunk := []byte("hello chunk")
	for _, kind := range []UploadKind{KindWasmModule, KindWasmMemory, KindStableMemory, KindWasmChunk} {
		raw := UploadDataArg(c, id, kind, 4_000_000, chunk)
		v, err := decodeOne("upload", raw)
		require.NoError(t, err, kind)
		r, err := asRecord("arg", v)
		require.NoError(t, err)
		p, err := r.principal("canister_id")
		require.NoError(t, err)
		assert.Equal(t, c.Raw, p.Raw)
		sid, err := r.blob("snapshot_id")
		require.NoError(t, err)
		assert.Equal(t, id, sid)
		got, err := r.blob("chunk")
		require.NoError(t, err)
		assert.Equal(t, chunk, got)
		kv, err := r.get("kind")
		require.NoError(t, err)
		name, val, err := variantCase("kind", kv, "wasm_module", "wasm_memory", "stable_memory", "wasm_chunk")
		require.NoError(t, err)
		assert.Equal(t, string(kind), name)
		if kind != KindWasmChunk {
			off, err := asRecord("kind", val)
			require.NoError(t, err)
			n, err := off.nat64("offset")
			require.NoError(t, err)
			assert.Equal(t, uint64(4_000_000), n)
		}
	}
}

// TestDecodeChunk decodes an agent-go-encoded reply on the fast path and a
// reply with an extra field on the generic path.
func TestDecodeChunk(t *testing.T) {
	blob := bytes.Repeat([]byte{7, 8, 9}, 1000)
	raw, err := idl.Encode([]idl.Type{rec(map[string]idl.Type{"chunk": tBlob})}, []any{map[string]any{"chunk": blob}})
	require.NoError(t, err)
	_, err = fastChunk(raw)
	require.NoError(t, err, "agent-go's encoding takes the fast path")
	got, err := DecodeChunk(raw)
	require.NoError(t, err)
	assert.Equal(t, blob, got)

	raw, err = idl.Encode([]idl.Type{rec(map[string]idl.Type{"chunk": tBlob, "extra": tNat64})},
		[]any{map[string]any{"chunk": blob[:10], "extra": uint64(5)}})
	require.NoError(t, err)
	got, err = DecodeChunk(raw)
	require.NoError(t, err)
	assert.Equal(t, blob[:10], got)
}
