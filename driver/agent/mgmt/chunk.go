package mgmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/internal/leb128"
)

// Candid opcodes used by the hand-written codecs.
const (
	opNull      = 0x7f
	opNat8      = 0x7b
	opNat64     = 0x78
	opPrincipal = 0x68
	opVec       = 0x6d
	opRecord    = 0x6c
	opVariant   = 0x6b
)

func hash(name string) uint64 { return idl.Hash(name).Uint64() }

// DecodeChunk decodes `record { chunk : blob }`, the reply of
// read_canister_snapshot_data, without copying the blob byte by byte. The
// returned slice aliases raw.
func DecodeChunk(raw []byte) ([]byte, error) {
	b, err := fastChunk(raw)
	if err == nil {
		return b, nil
	}
	v, derr := decodeOne(MethodReadData, raw)
	if derr != nil {
		return nil, derr
	}
	r, err := asRecord(MethodReadData, v)
	if err != nil {
		return nil, err
	}
	return r.blob("chunk")
}

var errNotFast = errors.New("not the expected shape")

type reader struct {
	b []byte
	i int
}

func (r *reader) uleb() (uint64, error) {
	v, n, err := leb128.DecodeUnsigned(r.b[r.i:])
	if err != nil {
		return 0, errNotFast
	}
	r.i += n
	return v, nil
}

func (r *reader) sleb() (int64, error) {
	v, n, err := leb128.DecodeSigned(r.b[r.i:])
	if err != nil {
		return 0, errNotFast
	}
	r.i += n
	return v, nil
}

// fastChunk parses a type table of vec and record entries only and reads
// the one blob field "chunk".
func fastChunk(raw []byte) ([]byte, error) {
	if len(raw) < 6 || string(raw[:4]) != "DIDL" {
		return nil, errNotFast
	}
	r := &reader{b: raw, i: 4}
	n, err := r.uleb()
	if err != nil || n > 16 {
		return nil, errNotFast
	}
	type entry struct {
		op     int64
		elem   int64
		fields map[uint64]int64
	}
	table := make([]entry, n)
	for k := range table {
		op, err := r.sleb()
		if err != nil {
			return nil, errNotFast
		}
		e := entry{op: op}
		switch op {
		case -19: // vec
			if e.elem, err = r.sleb(); err != nil {
				return nil, errNotFast
			}
		case -20: // record
			cnt, err := r.uleb()
			if err != nil || cnt > 16 {
				return nil, errNotFast
			}
			e.fields = map[uint64]int64{}
			for j := uint64(0); j < cnt; j++ {
				h, err := r.uleb()
				if err != nil {
					return nil, errNotFast
				}
				if e.fields[h], err = r.sleb(); err != nil {
					return nil, errNotFast
				}
			}
		default:
			return nil, errNotFast
		}
		table[k] = e
	}
	args, err := r.uleb()
	if err != nil || args != 1 {
		return nil, errNotFast
	}
	t, err := r.sleb()
	if err != nil || t < 0 || int(t) >= len(table) || table[t].op != -20 || len(table[t].fields) != 1 {
		return nil, errNotFast
	}
	ft, ok := table[t].fields[hash("chunk")]
	if !ok || ft < 0 || int(ft) >= len(table) || table[ft].op != -19 || table[ft].elem != -5 {
		return nil, errNotFast
	}
	size, err := r.uleb()
	if err != nil || uint64(len(raw)-r.i) < size {
		return nil, fmt.Errorf("%s: truncated chunk blob", MethodReadData)
	}
	return raw[r.i : r.i+int(size)], nil
}

// UploadKind names the target of an upload_canister_snapshot_data call.
type UploadKind string

// The upload kinds.
const (
	KindWasmModule   UploadKind = "wasm_module"
	KindWasmMemory   UploadKind = "wasm_memory"
	KindStableMemory UploadKind = "stable_memory"
	KindWasmChunk    UploadKind = "wasm_chunk"
)

type fieldOrder struct {
	name string
	h    uint64
}

func sortedFields(names ...string) []fieldOrder {
	out := make([]fieldOrder, len(names))
	for i, n := range names {
		out[i] = fieldOrder{n, hash(n)}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].h < out[j].h })
	return out
}

var (
	uploadFields = sortedFields("canister_id", "snapshot_id", "kind", "chunk")
	kindFields   = sortedFields(string(KindWasmModule), string(KindWasmMemory), string(KindStableMemory), string(KindWasmChunk))
)

// UploadDataArg encodes upload_canister_snapshot_data_args directly (one
// copy of chunk), for kind at offset (offset is ignored for wasm_chunk).
func UploadDataArg(c principal.Principal, id []byte, kind UploadKind, offset uint64, chunk []byte) []byte {
	out := make([]byte, 0, len(chunk)+len(id)+96)
	out = append(out, "DIDL"...)
	// Type table: 0 = vec nat8, 1 = record { offset : nat64 },
	// 2 = variant { ... }, 3 = the argument record.
	out = append(out, 4, opVec, opNat8, opRecord, 1)
	out = binary.AppendUvarint(out, hash("offset"))
	out = append(out, opNat64, opVariant, byte(len(kindFields)))
	kindIndex := -1
	for i, f := range kindFields {
		out = binary.AppendUvarint(out, f.h)
		if f.name == string(KindWasmChunk) {
			out = append(out, opNull)
		} else {
			out = append(out, 1)
		}
		if f.name == string(kind) {
			kindIndex = i
		}
	}
	out = append(out, opRecord, byte(len(uploadFields)))
	for _, f := range uploadFields {
		out = binary.AppendUvarint(out, f.h)
		switch f.name {
		case "canister_id":
			out = append(out, opPrincipal)
		case "kind":
			out = append(out, 2)
		default:
			out = append(out, 0)
		}
	}
	out = append(out, 1, 3) // one argument of type 3
	for _, f := range uploadFields {
		switch f.name {
		case "canister_id":
			out = append(out, 1)
			out = binary.AppendUvarint(out, uint64(len(c.Raw)))
			out = append(out, c.Raw...)
		case "snapshot_id":
			out = binary.AppendUvarint(out, uint64(len(id)))
			out = append(out, id...)
		case "kind":
			out = binary.AppendUvarint(out, uint64(kindIndex))
			if kind != KindWasmChunk {
				out = binary.LittleEndian.AppendUint64(out, offset)
			}
		case "chunk":
			out = binary.AppendUvarint(out, uint64(len(chunk)))
			out = append(out, chunk...)
		}
	}
	return out
}
