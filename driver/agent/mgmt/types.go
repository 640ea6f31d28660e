package mgmt

import (
	"github.com/aviate-labs/agent-go/candid/idl"
)

var (
	tNat       = idl.Type(new(idl.NatType))
	tNat64     = idl.Type(idl.Nat64Type())
	tBool      = idl.Type(new(idl.BoolType))
	tPrincipal = idl.Type(new(idl.PrincipalType))
	tNull      = idl.Type(new(idl.NullType))
	tBlob      = idl.Type(idl.NewVectorType(idl.Nat8Type()))
)

func rec(f map[string]idl.Type) idl.Type     { return idl.NewRecordType(f) }
func variant(f map[string]idl.Type) idl.Type { return idl.NewVariantType(f) }
func opt(t idl.Type) idl.Type                { return idl.NewOptionalType(t) }
func vec(t idl.Type) idl.Type                { return idl.NewVectorType(t) }

var (
	tCanisterArg = rec(map[string]idl.Type{"canister_id": tPrincipal})
	tSnapshotArg = rec(map[string]idl.Type{"canister_id": tPrincipal, "snapshot_id": tBlob})
	tTakeArg     = rec(map[string]idl.Type{"canister_id": tPrincipal, "replace_snapshot": opt(tBlob)})
	tLoadArg     = rec(map[string]idl.Type{"canister_id": tPrincipal, "snapshot_id": tBlob,
		"sender_canister_version": opt(tNat64)})
	tRange   = rec(map[string]idl.Type{"offset": tNat64, "size": tNat64})
	tReadArg = rec(map[string]idl.Type{"canister_id": tPrincipal, "snapshot_id": tBlob,
		"kind": variant(map[string]idl.Type{
			"wasm_module": tRange, "wasm_memory": tRange, "stable_memory": tRange,
			"wasm_chunk": rec(map[string]idl.Type{"hash": tBlob}),
		})})
	tGlobal = variant(map[string]idl.Type{
		"i32": idl.Int32Type(), "i64": idl.Int64Type(), "f32": idl.Float32Type(), "f64": idl.Float64Type(), "v128": tNat,
	})
	tUploadMetaArg = rec(map[string]idl.Type{
		"canister_id":        tPrincipal,
		"replace_snapshot":   opt(tBlob),
		"wasm_module_size":   tNat64,
		"globals":            vec(tGlobal),
		"wasm_memory_size":   tNat64,
		"stable_memory_size": tNat64,
		"certified_data":     tBlob,
		"global_timer":       opt(variant(map[string]idl.Type{"inactive": tNull, "active": tNat64})),
		"on_low_wasm_memory_hook_status": opt(variant(map[string]idl.Type{
			"condition_not_satisfied": tNull, "ready": tNull, "executed": tNull})),
	})
)

var _ = tBool
