package envelope

import (
	"encoding/hex"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Request types of the IC HTTP interface.
const (
	TypeCall      = "call"
	TypeQuery     = "query"
	TypeReadState = "read_state"
)

// Content is the typed view of an envelope's content map.
type Content struct {
	// RequestType is "call", "query" or "read_state".
	RequestType string
	// Nonce is the optional nonce.
	Nonce []byte
	// IngressExpiry is the expiry in nanoseconds since the epoch.
	IngressExpiry uint64
	// Sender is the caller's principal bytes.
	Sender []byte
	// CanisterID is the callee (empty for aaaaa-aa; nil for read_state).
	CanisterID []byte
	// MethodName is the method called (call/query).
	MethodName string
	// Arg is the candid argument (call/query).
	Arg []byte
	// Paths are the state paths requested (read_state).
	Paths [][][]byte
}

// Envelope is a decoded, not yet authenticated, request envelope.
type Envelope struct {
	// Content is the decoded content.
	Content Content
	// SenderPubKey is the DER public key of the sender, if any.
	SenderPubKey []byte
	// SenderSig is the signature over the request id, if any.
	SenderSig []byte
	// HasDelegation reports whether sender_delegation was present.
	HasDelegation bool
	// RequestID is the representation-independent hash of the content.
	RequestID [32]byte
}

// RequestIDHex returns the request id in lowercase hex.
func (e *Envelope) RequestIDHex() string { return hex.EncodeToString(e.RequestID[:]) }

type rawEnvelope struct {
	Content          cbor.RawMessage `cbor:"content"`
	SenderPubKey     []byte          `cbor:"sender_pubkey"`
	SenderSig        []byte          `cbor:"sender_sig"`
	SenderDelegation cbor.RawMessage `cbor:"sender_delegation"`
}

// decMode accepts the self-describe tag anywhere and rejects duplicate keys.
var decMode, _ = cbor.DecOptions{
	DupMapKey:   cbor.DupMapKeyEnforcedAPF,
	MaxMapPairs: 1 << 10,
}.DecMode()

// Decode parses a request envelope (tagged with 55799 or not), checks its
// content fields' types, and computes the request id. It does not
// authenticate; call Authenticate for that.
func Decode(body []byte) (*Envelope, error) {
	var raw rawEnvelope
	if err := decMode.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw.Content) == 0 {
		return nil, fmt.Errorf("%w: missing field \"content\"", ErrMalformed)
	}
	var generic map[string]any
	if err := decMode.Unmarshal(raw.Content, &generic); err != nil {
		return nil, fmt.Errorf("%w: content: %v", ErrMalformed, err)
	}
	env := &Envelope{
		SenderPubKey:  raw.SenderPubKey,
		SenderSig:     raw.SenderSig,
		HasDelegation: len(raw.SenderDelegation) > 0 && string(raw.SenderDelegation) != "\xf6",
	}
	if err := env.Content.fill(generic); err != nil {
		return nil, err
	}
	id, err := HashOfMap(generic)
	if err != nil {
		return nil, fmt.Errorf("%w: content: %v", ErrMalformed, err)
	}
	env.RequestID = id
	return env, nil
}

func (c *Content) fill(m map[string]any) error {
	var err error
	if c.RequestType, err = field[string](m, "request_type", true); err != nil {
		return err
	}
	if c.IngressExpiry, err = field[uint64](m, "ingress_expiry", true); err != nil {
		return err
	}
	if c.Sender, err = field[[]byte](m, "sender", true); err != nil {
		return err
	}
	if c.Nonce, err = field[[]byte](m, "nonce", false); err != nil {
		return err
	}
	switch c.RequestType {
	case TypeCall, TypeQuery:
		if c.CanisterID, err = field[[]byte](m, "canister_id", true); err != nil {
			return err
		}
		if c.CanisterID == nil {
			c.CanisterID = []byte{}
		}
		if c.MethodName, err = field[string](m, "method_name", true); err != nil {
			return err
		}
		// agent-go omits an empty arg from the content; treat it as empty.
		if c.Arg, err = field[[]byte](m, "arg", false); err != nil {
			return err
		}
	case TypeReadState:
		return c.fillPaths(m)
	default:
		return fmt.Errorf("%w: content.request_type %q is not call, query or read_state", ErrMalformed, c.RequestType)
	}
	return nil
}

func (c *Content) fillPaths(m map[string]any) error {
	v, ok := m["paths"]
	if !ok {
		return fmt.Errorf("%w: missing field content.paths", ErrMalformed)
	}
	paths, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%w: content.paths is %T, want an array", ErrMalformed, v)
	}
	for i, p := range paths {
		labels, ok := p.([]any)
		if !ok {
			return fmt.Errorf("%w: content.paths[%d] is %T, want an array", ErrMalformed, i, p)
		}
		path := make([][]byte, len(labels))
		for j, l := range labels {
			b, ok := l.([]byte)
			if !ok {
				return fmt.Errorf("%w: content.paths[%d][%d] is %T, want bytes", ErrMalformed, i, j, l)
			}
			path[j] = b
		}
		c.Paths = append(c.Paths, path)
	}
	return nil
}

func field[T any](m map[string]any, name string, required bool) (T, error) {
	var zero T
	v, ok := m[name]
	if !ok {
		if required {
			return zero, fmt.Errorf("%w: missing field content.%s", ErrMalformed, name)
		}
		return zero, nil
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%w: content.%s is %T, want %T", ErrMalformed, name, v, zero)
	}
	return t, nil
}
