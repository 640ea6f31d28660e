package replica

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
)

// This file holds every candid type the replica encodes (in the exact IC
// shapes of ic-interface.md A.1, plus the union of the client-only fields of
// A.2), and the generic decoding helpers for arguments. Arguments are decoded
// with idl.Decode into generic values keyed by field hash, so extra record
// fields sent by newer clients are tolerated.

// Candid primitive types used below.
var (
	tNat       = idl.Type(new(idl.NatType))
	tNat64     = idl.Type(idl.Nat64Type())
	tBool      = idl.Type(new(idl.BoolType))
	tText      = idl.Type(new(idl.TextType))
	tPrincipal = idl.Type(new(idl.PrincipalType))
	tNull      = idl.Type(new(idl.NullType))
	tReserved  = idl.Type(new(idl.ReservedType))
	tBlob      = idl.Type(idl.NewVectorType(idl.Nat8Type()))
)

func rec(fields map[string]idl.Type) idl.Type { return idl.NewRecordType(fields) }
func variant(fields map[string]idl.Type) idl.Type {
	return idl.NewVariantType(fields)
}
func opt(t idl.Type) idl.Type { return idl.NewOptionalType(t) }
func vec(t idl.Type) idl.Type { return idl.NewVectorType(t) }

// tSnapshot is `snapshot`.
var tSnapshot = rec(map[string]idl.Type{
	"id":                 tBlob,
	"taken_at_timestamp": tNat64,
	"total_size":         tNat64,
})

// tGlobal is the element of `globals`.
var tGlobal = variant(map[string]idl.Type{
	"i32":  idl.Int32Type(),
	"i64":  idl.Int64Type(),
	"f32":  idl.Float32Type(),
	"f64":  idl.Float64Type(),
	"v128": tNat,
})

var tGlobalTimer = variant(map[string]idl.Type{"inactive": tNull, "active": tNat64})

var tHookStatus = variant(map[string]idl.Type{
	"condition_not_satisfied": tNull, "ready": tNull, "executed": tNull,
})

// tSnapshotMetadata is read_canister_snapshot_metadata_response.
var tSnapshotMetadata = rec(map[string]idl.Type{
	"source":                         variant(map[string]idl.Type{"taken_from_canister": tReserved, "metadata_upload": tReserved}),
	"taken_at_timestamp":             tNat64,
	"wasm_module_size":               tNat64,
	"globals":                        vec(tGlobal),
	"wasm_memory_size":               tNat64,
	"stable_memory_size":             tNat64,
	"wasm_chunk_store":               vec(rec(map[string]idl.Type{"hash": tBlob})),
	"canister_version":               tNat64,
	"certified_data":                 tBlob,
	"global_timer":                   opt(tGlobalTimer),
	"on_low_wasm_memory_hook_status": opt(tHookStatus),
})

var tVisibility = variant(map[string]idl.Type{
	"controllers": tNull, "public": tNull, "allowed_viewers": vec(tPrincipal),
})

var tLogVisibility = tVisibility

// tSettings is definite_canister_settings: the spec fields plus
// log_memory_limit, which icp 1.5.0 requires.
var tSettings = rec(map[string]idl.Type{
	"controllers":                           vec(tPrincipal),
	"compute_allocation":                    tNat,
	"memory_allocation":                     tNat,
	"freezing_threshold":                    tNat,
	"reserved_cycles_limit":                 tNat,
	"minimum_incoming_canister_call_cycles": tNat,
	"log_visibility":                        tLogVisibility,
	"log_memory_limit":                      tNat,
	"snapshot_visibility":                   tVisibility,
	"status_visibility":                     tVisibility,
	"wasm_memory_limit":                     tNat,
	"wasm_memory_threshold":                 tNat,
	"environment_variables":                 vec(rec(map[string]idl.Type{"name": tText, "value": tText})),
})

// tCanisterStatus is canister_status_result with the union of every field
// current clients decode (A.2).
var tCanisterStatus = rec(map[string]idl.Type{
	"status":              variant(map[string]idl.Type{"running": tNull, "stopping": tNull, "stopped": tNull}),
	"ready_for_migration": tBool,
	"version":             tNat64,
	"settings":            tSettings,
	"module_hash":         opt(tBlob),
	"memory_size":         tNat,
	"memory_metrics": rec(map[string]idl.Type{
		"wasm_memory_size":      tNat,
		"stable_memory_size":    tNat,
		"global_memory_size":    tNat,
		"wasm_binary_size":      tNat,
		"custom_sections_size":  tNat,
		"canister_history_size": tNat,
		"wasm_chunk_store_size": tNat,
		"snapshots_size":        tNat,
		"log_memory_store_size": tNat,
	}),
	"cycles":                     tNat,
	"reserved_cycles":            tNat,
	"idle_cycles_burned_per_day": tNat,
	"query_stats": rec(map[string]idl.Type{
		"num_calls_total":              tNat,
		"num_instructions_total":       tNat,
		"request_payload_bytes_total":  tNat,
		"response_payload_bytes_total": tNat,
	}),
})

// tCreateResult is the result of provisional_create_canister_with_cycles.
var tCreateResult = rec(map[string]idl.Type{"canister_id": tPrincipal})

// tUploadMetadataResult is upload_canister_snapshot_metadata_response.
var tUploadMetadataResult = rec(map[string]idl.Type{"snapshot_id": tBlob})

// tRegistryResult is the reply type of Canic's canic_subnet_registry (E.2).
var tRegistryResult = variant(map[string]idl.Type{
	"Ok": vec(rec(map[string]idl.Type{
		"pid":  tPrincipal,
		"role": tText,
		"record": rec(map[string]idl.Type{
			"pid":         tPrincipal,
			"role":        tText,
			"parent_pid":  opt(tPrincipal),
			"module_hash": opt(tBlob),
			"created_at":  tNat64,
		}),
	})),
	"Err": rec(map[string]idl.Type{
		"code": variant(map[string]idl.Type{
			"Conflict": tNull, "Forbidden": tNull, "Internal": tNull, "InvalidInput": tNull,
			"InvariantViolation": tNull, "NotFound": tNull,
			"PolicyInstanceRequiresSingletonWithDirectory": tNull,
			"PolicyReplicaRequiresSingletonWithScaling":    tNull,
			"PolicyRoleAlreadyRegistered":                  tNull,
			"PolicyShardRequiresSingletonWithSharding":     tNull,
			"PolicySingletonAlreadyRegisteredUnderParent":  tNull,
			"ResourceExhausted":                            tNull, "Unauthorized": tNull, "Unavailable": tNull,
		}),
		"message": tText,
	}),
})

// emptyReply is the candid encoding of `()`.
var emptyReply = []byte("DIDL\x00\x00")

// encode encodes one value of type t.
func encode(t idl.Type, v any) ([]byte, error) {
	return idl.Encode([]idl.Type{t}, []any{v})
}

// encodeChunkReply encodes `record { chunk : blob }` directly: agent-go
// encodes a blob byte by byte through reflection, far too slow for 2 MB.
func encodeChunkReply(chunk []byte) []byte {
	// Type table: 2 entries: 0 = vec nat8, 1 = record { chunk(hash) : 0 }.
	out := make([]byte, 0, len(chunk)+32)
	out = append(out, "DIDL"...)
	out = append(out, 0x02, 0x6d, 0x7b, 0x6c, 0x01)
	out = binary.AppendUvarint(out, uint64(idl.Hash("chunk").Uint64()))
	out = append(out, 0x00)
	out = append(out, 0x01, 0x01) // one argument of type 1
	out = binary.AppendUvarint(out, uint64(len(chunk)))
	return append(out, chunk...)
}

func nat(v uint64) idl.Nat { return idl.NewNat(v) }

func natBig(v *big.Int) idl.Nat { return idl.NewBigNat(new(big.Int).Set(v)) }

func pr(b []byte) principal.Principal {
	if b == nil {
		b = []byte{}
	}
	return principal.Principal{Raw: b}
}

func variantOf(name string, value any) idl.Variant { return idl.Variant{Name: name, Value: value} }

// args is a decoded candid record argument, read by field name.
type args struct {
	method string
	m      map[string]any
}

// decodeArgs decodes the first argument of a call as a record.
func decodeArgs(method string, raw []byte) (args, error) {
	vals, err := decodeCandid(raw)
	if err != nil {
		return args{}, fmt.Errorf("Error decoding candid: %w", err)
	}
	if len(vals) == 0 {
		return args{}, fmt.Errorf("Error decoding candid: %s expects one record argument, got none", method)
	}
	m, ok := vals[0].(map[string]any)
	if !ok && vals[0] != nil {
		return args{}, fmt.Errorf("Error decoding candid: %s expects a record argument, got %T", method, vals[0])
	}
	return args{method: method, m: m}, nil
}

func (a args) raw(name string) (any, bool) {
	v, ok := a.m[idl.HashString(name)]
	return v, ok
}

func (a args) missing(name string) error {
	return fmt.Errorf("Error decoding candid: %s: missing required field %q", a.method, name)
}

func (a args) wrong(name, want string, v any) error {
	return fmt.Errorf("Error decoding candid: %s: field %q must be %s, got %T", a.method, name, want, v)
}

func (a args) principal(name string) ([]byte, error) {
	v, ok := a.raw(name)
	if !ok {
		return nil, a.missing(name)
	}
	p, ok := v.(principal.Principal)
	if !ok {
		return nil, a.wrong(name, "a principal", v)
	}
	return p.Raw, nil
}

func (a args) nat64(name string) (uint64, error) {
	v, ok := a.raw(name)
	if !ok {
		return 0, a.missing(name)
	}
	return toUint64(a, name, v)
}

func toUint64(a args, name string, v any) (uint64, error) {
	switch n := v.(type) {
	case uint64:
		return n, nil
	case idl.Nat:
		if n.BigInt() == nil {
			return 0, nil
		}
		if !n.BigInt().IsUint64() {
			return 0, fmt.Errorf("Error decoding candid: %s: field %q = %s does not fit in nat64", a.method, name, n.BigInt())
		}
		return n.BigInt().Uint64(), nil
	default:
		return 0, a.wrong(name, "a nat64", v)
	}
}

// blob decodes a required blob field.
func (a args) blob(name string) ([]byte, error) {
	v, ok := a.raw(name)
	if !ok {
		return nil, a.missing(name)
	}
	b, ok := toBlob(v)
	if !ok {
		return nil, a.wrong(name, "a blob", v)
	}
	return b, nil
}

// optBlob decodes an optional blob field (missing or null gives nil, false).
func (a args) optBlob(name string) ([]byte, bool, error) {
	v, ok := a.raw(name)
	if !ok || v == nil {
		return nil, false, nil
	}
	b, ok := toBlob(v)
	if !ok {
		return nil, false, a.wrong(name, "an opt blob", v)
	}
	return b, true, nil
}

func toBlob(v any) ([]byte, bool) {
	switch b := v.(type) {
	case nil:
		return []byte{}, true
	case []byte:
		return b, true
	case []any:
		out := make([]byte, len(b))
		for i, x := range b {
			u, ok := x.(uint8)
			if !ok {
				return nil, false
			}
			out[i] = u
		}
		return out, true
	default:
		return nil, false
	}
}

// variant decodes a required variant field: its case name and value.
func (a args) variant(name string, cases ...string) (string, any, error) {
	v, ok := a.raw(name)
	if !ok {
		return "", nil, a.missing(name)
	}
	vv, ok := v.(*idl.Variant)
	if !ok {
		return "", nil, a.wrong(name, "a variant", v)
	}
	for _, c := range cases {
		if vv.Name == c || vv.Name == idl.HashString(c) {
			return c, vv.Value, nil
		}
	}
	return "", nil, fmt.Errorf("Error decoding candid: %s: field %q has unknown variant case (hash %s)", a.method, name, vv.Name)
}

// sub returns a nested record value as args.
func (a args) sub(v any) args {
	m, _ := v.(map[string]any)
	return args{method: a.method, m: m}
}
