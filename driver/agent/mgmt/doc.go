// Package mgmt encodes the arguments and decodes the replies of the IC
// management canister's snapshot, status and lifecycle methods and of
// Canic's canic_subnet_registry.
//
// Arguments are encoded with agent-go's candid encoder and explicit types.
// Replies are decoded generically (idl.Decode, records keyed by field hash),
// never into Go structs: agent-go's struct decoder fails on record fields the
// struct lacks, on `reserved` and on blobs, and real replies carry all three.
// The two hot messages — a data chunk read and a data chunk upload — have
// hand-written codecs so that 2 MB blobs are not handled byte by byte.
package mgmt
