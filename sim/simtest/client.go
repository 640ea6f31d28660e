package simtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	"github.com/canic-backup/canic-backup/driver/agent/ingress"
	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/fxamacker/cbor/v2"
)

// Client is a small IC agent for tests, in pure Go: update calls go through
// driver/agent/transport (v4 call, v3 read_state polls), and every
// certificate is verified with driver/agent/certificate, delegation and
// canister ranges included, against the root key fetched from
// /api/v2/status.
type Client struct {
	tc      *transport.Client
	id      identity.Identity
	base    *url.URL
	rootKey []byte
	hc      *http.Client
}

// Agent returns a Client for s that signs as id (the simulator's
// controller when id is nil).
func Agent(t testing.TB, s *sim.Simulator, id identity.Identity) *Client {
	t.Helper()
	if id == nil {
		id = s.ControllerIdentity()
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatalf("simtest: simulator URL: %v", err)
	}
	hc := &http.Client{Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := transport.FetchRootKey(ctx, hc, u)
	if err != nil {
		t.Fatalf("simtest: root key: %v", err)
	}
	tc, err := transport.New(transport.Config{
		URL: u, HTTP: hc, RootKey: key, Identity: id, IngressExpiry: 2 * time.Minute,
		PollTimeout: time.Minute, PollDelay: 10 * time.Millisecond, MaxCertAge: 5 * time.Minute,
	})
	if err != nil {
		t.Fatalf("simtest: transport: %v", err)
	}
	return &Client{tc: tc, id: id, base: u, rootKey: key, hc: hc}
}

// GetRootKey returns the root key the client verifies against.
func (c *Client) GetRootKey() []byte { return append([]byte{}, c.rootKey...) }

// Call makes an update call of method on canister with candid args and
// decodes the reply into out. A management canister call is addressed to
// the canister named by the first principal field of args[0].
func (c *Client) Call(canister principal.Principal, method string, args []any, out []any) error {
	arg, err := idl.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s args: %w", method, err)
	}
	ecid := canister
	if len(canister.Raw) == 0 {
		ecid = effectiveID(args)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reply, err := c.tc.Call(ctx, canister, ecid, method, arg)
	if err != nil {
		return err
	}
	return idl.Unmarshal(reply, out)
}

// effectiveID finds the canister a management call is about: the first
// principal.Principal field of the first argument.
func effectiveID(args []any) principal.Principal {
	if len(args) == 0 {
		return principal.Principal{Raw: []byte{}}
	}
	v := reflect.ValueOf(args[0])
	if v.Kind() == reflect.Struct {
		for i := 0; i < v.NumField(); i++ {
			if p, ok := v.Field(i).Interface().(principal.Principal); ok {
				return p
			}
		}
	}
	return principal.Principal{Raw: []byte{}}
}

// Query makes a query call and decodes the reply into out.
func (c *Client) Query(canister principal.Principal, method string, args []any, out []any) error {
	arg, err := idl.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s args: %w", method, err)
	}
	_, body, err := c.envelope(ingress.Request{
		Type: ingress.RequestTypeQuery, Sender: c.id.Sender(), CanisterID: canister,
		MethodName: method, Arguments: arg, IngressExpiry: c.expiry(),
	})
	if err != nil {
		return err
	}
	resp, err := c.post("/api/v3/canister/"+canister.String()+"/query", body)
	if err != nil {
		return err
	}
	var ans struct {
		Status string `cbor:"status"`
		Reply  struct {
			Arg []byte `cbor:"arg"`
		} `cbor:"reply"`
		RejectCode    uint64 `cbor:"reject_code"`
		RejectMessage string `cbor:"reject_message"`
		ErrorCode     string `cbor:"error_code"`
	}
	if err := cbor.Unmarshal(resp, &ans); err != nil {
		return fmt.Errorf("decode query answer: %w", err)
	}
	if ans.Status != "replied" {
		return &transport.Reject{Method: method, Code: ans.RejectCode, Message: ans.RejectMessage, ErrorCode: ans.ErrorCode}
	}
	return idl.Unmarshal(ans.Reply.Arg, out)
}

// Submit posts a signed call envelope to /api/v2/canister/<ecid>/call and
// expects 202.
func (c *Client) Submit(ecid principal.Principal, envelope []byte) error {
	_, err := c.postStatus("/api/v2/canister/"+ecid.String()+"/call", envelope, http.StatusAccepted)
	return err
}

// RequestStatus reads the certified status of request rid through ecid.
func (c *Client) RequestStatus(ecid principal.Principal, rid [32]byte) ([]byte, hashtree.Node, error) {
	node, err := c.ReadStateCertificate(ecid, [][]hashtree.Label{{hashtree.Label("request_status"), rid[:]}})
	if err != nil {
		return nil, nil, err
	}
	st, err := hashtree.NewHashTree(node).Lookup(hashtree.Label("request_status"), rid[:], hashtree.Label("status"))
	if err != nil {
		return nil, node, fmt.Errorf("request %x: no status: %w", rid, err)
	}
	return st, node, nil
}

// ReadStateCertificate reads paths through /api/v3/canister/<ecid>/read_state
// and returns the verified certificate's tree.
func (c *Client) ReadStateCertificate(ecid principal.Principal, paths [][]hashtree.Label) (hashtree.Node, error) {
	_, body, err := c.envelope(ingress.Request{
		Type: ingress.RequestTypeReadState, Sender: c.id.Sender(), IngressExpiry: c.expiry(), Paths: paths,
	})
	if err != nil {
		return nil, err
	}
	resp, err := c.post("/api/v3/canister/"+ecid.String()+"/read_state", body)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Certificate []byte `cbor:"certificate"`
	}
	if err := cbor.Unmarshal(resp, &ans); err != nil {
		return nil, fmt.Errorf("decode read_state answer: %w", err)
	}
	cert, err := certificate.Verify(ans.Certificate, ecid, c.rootKey)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckTime(cert.Tree, time.Now(), 5*time.Minute); err != nil {
		return nil, err
	}
	return cert.Tree.Root, nil
}

// GetCanisterControllers reads /canister/<id>/controllers.
func (c *Client) GetCanisterControllers(id principal.Principal) ([]principal.Principal, error) {
	raw, err := c.canisterPath(id, "controllers")
	if err != nil {
		return nil, err
	}
	var ids [][]byte
	if err := cbor.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("decode controllers: %w", err)
	}
	out := make([]principal.Principal, len(ids))
	for i, b := range ids {
		out[i] = principal.Principal{Raw: b}
	}
	return out, nil
}

// GetCanisterModuleHash reads /canister/<id>/module_hash.
func (c *Client) GetCanisterModuleHash(id principal.Principal) ([]byte, error) {
	return c.canisterPath(id, "module_hash")
}

func (c *Client) canisterPath(id principal.Principal, leaf string) ([]byte, error) {
	node, err := c.ReadStateCertificate(id, [][]hashtree.Label{{hashtree.Label("canister"), id.Raw, hashtree.Label(leaf)}})
	if err != nil {
		return nil, err
	}
	return hashtree.NewHashTree(node).Lookup(hashtree.Label("canister"), id.Raw, hashtree.Label(leaf))
}

func (c *Client) expiry() uint64 { return uint64(time.Now().Add(2 * time.Minute).UnixNano()) }

// envelope signs req (with a fresh nonce for calls and queries).
func (c *Client) envelope(req ingress.Request) (ingress.RequestID, []byte, error) {
	if req.Type != ingress.RequestTypeReadState {
		req.Nonce = make([]byte, 8)
		_, _ = rand.Read(req.Nonce)
	}
	rid := ingress.NewRequestID(req)
	env := ingress.Envelope{Content: req}
	if !req.Sender.IsAnonymous() {
		env.SenderPubKey = c.id.PublicKey()
		env.SenderSig = rid.Sign(c.id)
	}
	body, err := cbor.Marshal(env)
	return rid, body, err
}

func (c *Client) post(path string, body []byte) ([]byte, error) {
	return c.postStatus(path, body, http.StatusOK)
}

// ErrHTTP is an unexpected HTTP status; the message names it.
var ErrHTTP = errors.New("unexpected HTTP status")

func (c *Client) postStatus(path string, body []byte, want int) ([]byte, error) {
	resp, err := c.hc.Post(c.base.JoinPath(path).String(), "application/cbor", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%w: POST %s: %d: %s", ErrHTTP, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return b, nil
}
