// Package ingress builds the signed requests an agent sends to the IC's
// HTTPS interface: the request content, its representation-independent
// request id, and the CBOR envelope. It mirrors the types agent-go's root
// package offers (Request, RequestID, Envelope) so that callers need not
// import that package, which links a cgo BLS library.
package ingress

import (
	"bytes"
	"crypto/sha256"
	"sort"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"

	leb128pkg "github.com/canic-backup/canic-backup/internal/leb128"
)

// RequestType is the request_type field of a request.
type RequestType = string

// Request types.
const (
	// RequestTypeCall is an update call.
	RequestTypeCall RequestType = "call"
	// RequestTypeQuery is a query call.
	RequestTypeQuery RequestType = "query"
	// RequestTypeReadState is a read_state request.
	RequestTypeReadState RequestType = "read_state"
)

// Request is the content of a call, query or read_state request. Empty
// fields are left out (a nil CanisterID.Raw is absent; an empty, non-nil
// one is the management canister).
type Request struct {
	// Type is the request type.
	Type RequestType
	// Sender is the caller.
	Sender principal.Principal
	// Nonce makes otherwise equal requests distinct.
	Nonce []byte
	// IngressExpiry is the expiry in nanoseconds since the epoch.
	IngressExpiry uint64
	// CanisterID is the callee.
	CanisterID principal.Principal
	// MethodName is the method called.
	MethodName string
	// Arguments is the candid argument.
	Arguments []byte
	// Paths are the state paths a read_state asks for.
	Paths [][]hashtree.Label
}

// MarshalCBOR encodes the request content as the interface spec gives it.
func (r *Request) MarshalCBOR() ([]byte, error) {
	m := make(map[string]any)
	if len(r.Type) != 0 {
		m["request_type"] = r.Type
	}
	if r.CanisterID.Raw != nil {
		m["canister_id"] = r.CanisterID.Raw
	}
	if len(r.MethodName) != 0 {
		m["method_name"] = r.MethodName
	}
	if len(r.Arguments) != 0 {
		m["arg"] = r.Arguments
	}
	if len(r.Sender.Raw) != 0 {
		m["sender"] = r.Sender.Raw
	}
	if r.IngressExpiry != 0 {
		m["ingress_expiry"] = r.IngressExpiry
	}
	if len(r.Nonce) != 0 {
		m["nonce"] = r.Nonce
	}
	if r.Paths != nil {
		m["paths"] = r.Paths
	}
	return cbor.Marshal(m)
}

// RequestID is the representation-independent hash of a request.
type RequestID [32]byte

// NewRequestID returns the request id of req: SHA-256 over the sorted
// concatenation of H(key) ‖ H(value) for every present field.
func NewRequestID(req Request) RequestID {
	var fields [][]byte
	add := func(key string, value []byte) {
		k := sha256.Sum256([]byte(key))
		v := sha256.Sum256(value)
		fields = append(fields, append(k[:], v[:]...))
	}
	if len(req.Type) != 0 {
		add("request_type", []byte(req.Type))
	}
	if req.CanisterID.Raw != nil {
		add("canister_id", req.CanisterID.Raw)
	}
	if len(req.MethodName) != 0 {
		add("method_name", []byte(req.MethodName))
	}
	if len(req.Arguments) != 0 {
		add("arg", req.Arguments)
	}
	if len(req.Sender.Raw) != 0 {
		add("sender", req.Sender.Raw)
	}
	if req.IngressExpiry != 0 {
		add("ingress_expiry", leb128(req.IngressExpiry))
	}
	if len(req.Nonce) != 0 {
		add("nonce", req.Nonce)
	}
	if req.Paths != nil {
		var all []byte
		for _, path := range req.Paths {
			var labels []byte
			for _, l := range path {
				h := sha256.Sum256(l)
				labels = append(labels, h[:]...)
			}
			h := sha256.Sum256(labels)
			all = append(all, h[:]...)
		}
		k := sha256.Sum256([]byte("paths"))
		v := sha256.Sum256(all)
		fields = append(fields, append(k[:], v[:]...))
	}
	sort.Slice(fields, func(i, j int) bool { return bytes.Compare(fields[i], fields[j]) < 0 })
	return sha256.Sum256(bytes.Join(fields, nil))
}

// Sign signs the request id as id: id's signature of "\x0Aic-request" ‖ r.
func (r RequestID) Sign(id identity.Identity) []byte {
	return id.Sign(append([]byte("\x0aic-request"), r[:]...))
}

// Envelope is a request with the sender's public key and signature.
type Envelope struct {
	// Content is the request.
	Content Request `cbor:"content,omitempty"`
	// SenderPubKey is the DER public key of the sender.
	SenderPubKey []byte `cbor:"sender_pubkey,omitempty"`
	// SenderSig is the signature of the request id.
	SenderSig []byte `cbor:"sender_sig,omitempty"`
}

func leb128(n uint64) []byte { return leb128pkg.EncodeUnsigned(n) }
