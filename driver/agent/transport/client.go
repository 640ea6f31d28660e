package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	agent "github.com/canic-backup/canic-backup/driver/agent/ingress"
	leb128pkg "github.com/canic-backup/canic-backup/internal/leb128"
	"github.com/fxamacker/cbor/v2"
)

// Config configures a Client.
type Config struct {
	// URL is the replica or boundary node, e.g. https://icp-api.io.
	URL *url.URL
	// HTTP is the HTTP client; nil means a client with sane timeouts.
	HTTP *http.Client
	// RootKey is the DER root key certificates are checked against.
	RootKey []byte
	// Identity signs requests.
	Identity identity.Identity
	// IngressExpiry is how far in the future requests expire.
	IngressExpiry time.Duration
	// PollTimeout bounds waiting for one call's result.
	PollTimeout time.Duration
	// PollDelay is the first delay between status polls (doubles to 1s).
	PollDelay time.Duration
	// MaxCertAge is the oldest certified /time accepted.
	MaxCertAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Gate holds requests back while a Retry-After window is open; share
	// one among every Client of a process. nil means a Gate of its own.
	Gate *Gate
}

// Client sends signed calls and verifies their certificates.
type Client struct {
	cfg    Config
	certs  *certificate.Verifier
	v2Call atomic.Bool // the replica answered 404 to v4 call
	v2Read atomic.Bool // the replica answered 404 to v3 read_state
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.URL == nil {
		return nil, errors.New("transport: no URL")
	}
	if len(cfg.RootKey) == 0 {
		return nil, errors.New("transport: no root key")
	}
	if cfg.Identity == nil {
		return nil, errors.New("transport: no identity")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Gate == nil {
		cfg.Gate = NewGate()
	}
	if cfg.PollDelay <= 0 {
		cfg.PollDelay = 50 * time.Millisecond
	}
	return &Client{cfg: cfg, certs: certificate.NewVerifier(cfg.RootKey)}, nil
}

// Sender is the principal requests are signed as.
func (c *Client) Sender() principal.Principal { return c.cfg.Identity.Sender() }

// Call performs an update call of method on canister with the candid
// argument arg, addressed to the effective canister ecid, and returns the
// certified reply. Errors are *Reject, ErrResponseLost, ErrCertificate,
// ErrTransient-matching errors or the context's error.
func (c *Client) Call(ctx context.Context, canister, ecid principal.Principal, method string, arg []byte) ([]byte, error) {
	if canister.Raw == nil {
		canister.Raw = []byte{}
	}
	expiry := c.cfg.Now().Add(c.cfg.IngressExpiry)
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	req := agent.Request{
		Type: agent.RequestTypeCall, Sender: c.Sender(), Nonce: nonce,
		IngressExpiry: uint64(expiry.UnixNano()),
		CanisterID:    canister, MethodName: method, Arguments: arg,
	}
	rid, body, err := c.sign(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PollTimeout)
	defer cancel()
	reply, done, err := c.submit(ctx, ecid, rid, method, body, expiry)
	if done {
		return reply, afterSubmit(method, err)
	}
	if err != nil && (!errors.Is(err, ErrTransient) || notSent(err)) {
		// A definite failure, or a request that never left (the caller's
		// retries send it again): there is no outcome to poll for.
		return nil, err
	}
	// 202, or the answer was lost in transit: learn the outcome from the
	// certified request status, resubmitting the same signed request (the
	// same request id never executes twice) while the IC has not seen it.
	reply, err = c.poll(ctx, ecid, rid, method, body, expiry)
	return reply, afterSubmit(method, err)
}

// notSent reports whether err is a failure to connect: the request was
// never sent, so the IC cannot have seen it (polling its status until the
// deadline, as for a lost answer, would only delay the failure: with a
// replica down, by PollTimeout per attempt).
func notSent(err error) bool {
	if errors.Is(err, ErrRateLimited) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) sign(req agent.Request) (agent.RequestID, []byte, error) {
	rid := agent.NewRequestID(req)
	env := agent.Envelope{Content: req}
	if !req.Sender.IsAnonymous() {
		env.SenderPubKey = c.cfg.Identity.PublicKey()
		env.SenderSig = rid.Sign(c.cfg.Identity)
	}
	body, err := cbor.Marshal(env)
	if err != nil {
		return rid, nil, fmt.Errorf("encode request: %w", err)
	}
	return rid, body, nil
}

// submit posts the call. done reports that reply/err is the final outcome.
func (c *Client) submit(ctx context.Context, ecid principal.Principal, rid agent.RequestID, method string, body []byte, expiry time.Time) (reply []byte, done bool, err error) {
	if !c.v2Call.Load() {
		status, resp, err := c.post(ctx, "/api/v4/canister/"+ecid.String()+"/call", body, expiry)
		if err != nil {
			return nil, false, err
		}
		switch status {
		case http.StatusNotFound:
			c.v2Call.Store(true)
		case http.StatusAccepted:
			return nil, false, nil
		case http.StatusOK:
			reply, err := c.syncAnswer(ecid, rid, method, resp)
			return reply, !errors.Is(err, errNotYet), err
		default:
			return nil, true, &HTTPError{Endpoint: "/api/v4/canister/" + ecid.String() + "/call", Status: status, Body: snippet(resp)}
		}
	}
	path := "/api/v2/canister/" + ecid.String() + "/call"
	status, resp, err := c.post(ctx, path, body, expiry)
	if err != nil {
		return nil, false, err
	}
	switch status {
	case http.StatusAccepted:
		return nil, false, nil
	case http.StatusOK:
		var rej struct {
			Code      uint64 `cbor:"reject_code"`
			Message   string `cbor:"reject_message"`
			ErrorCode string `cbor:"error_code"`
		}
		if err := cbor.Unmarshal(resp, &rej); err != nil {
			return nil, true, fmt.Errorf("decode v2 call answer: %w", err)
		}
		return nil, true, &Reject{Method: method, Code: rej.Code, Message: rej.Message, ErrorCode: rej.ErrorCode, Uncertified: true}
	}
	return nil, true, &HTTPError{Endpoint: path, Status: status, Body: snippet(resp)}
}

var errNotYet = errors.New("request status not final")

// syncAnswer interprets a v3/v4 200 answer.
func (c *Client) syncAnswer(ecid principal.Principal, rid agent.RequestID, method string, resp []byte) ([]byte, error) {
	var ans struct {
		Status      string `cbor:"status"`
		Certificate []byte `cbor:"certificate"`
		Code        uint64 `cbor:"reject_code"`
		Message     string `cbor:"reject_message"`
		ErrorCode   string `cbor:"error_code"`
	}
	if err := cbor.Unmarshal(resp, &ans); err != nil {
		return nil, fmt.Errorf("decode call answer: %w", err)
	}
	switch ans.Status {
	case "replied":
		tree, err := c.verify(ans.Certificate, ecid)
		if err != nil {
			return nil, err
		}
		return statusOutcome(tree, rid, method)
	case "non_replicated_rejection":
		return nil, &Reject{Method: method, Code: ans.Code, Message: ans.Message, ErrorCode: ans.ErrorCode, Uncertified: true}
	}
	return nil, fmt.Errorf("call answer has unknown status %q", ans.Status)
}

// poll reads the request status until it is final or ctx ends.
func (c *Client) poll(ctx context.Context, ecid principal.Principal, rid agent.RequestID, method string, body []byte, expiry time.Time) ([]byte, error) {
	delay := c.cfg.PollDelay
	absentSince := c.cfg.Now()
	var last error
	for {
		tree, err := c.readStatus(ctx, ecid, rid)
		switch {
		case err == nil:
			reply, err := statusOutcome(tree, rid, method)
			if !errors.Is(err, errNotYet) {
				return reply, err
			}
			if errors.Is(err, errAbsent) {
				if c.cfg.Now().Sub(absentSince) > 2*time.Second {
					// The IC has not seen the request: send it again.
					_, _, _ = c.submit(ctx, ecid, rid, method, body, expiry)
					absentSince = c.cfg.Now()
				}
			} else {
				absentSince = c.cfg.Now()
			}
		case errors.Is(err, ErrTransient):
			last = err
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, transient(ctx.Err(), "%s: polling cancelled", method)
			}
			// The call was submitted: it may run (or have run) after we
			// stop asking. Its outcome is unknown, not a failure.
			if last != nil {
				return nil, &OutcomeUnknownError{Method: method, Err: transient(nil, "no final status before the poll deadline (last error: %v)", last)}
			}
			return nil, &OutcomeUnknownError{Method: method, Err: transient(nil, "no final status before the poll deadline")}
		case <-time.After(delay):
		}
		if delay *= 2; delay > time.Second {
			delay = time.Second
		}
	}
}

var errAbsent = fmt.Errorf("%w: request unknown", errNotYet)

// statusOutcome reads /request_status/<rid> from a verified tree.
func statusOutcome(tree hashtree.HashTree, rid agent.RequestID, method string) ([]byte, error) {
	base := []hashtree.Label{hashtree.Label("request_status"), rid[:]}
	at := func(l string) []hashtree.Label { return append(base[:2:2], hashtree.Label(l)) }
	status, err := tree.Lookup(at("status")...)
	if err != nil {
		var le hashtree.LookupError
		if errors.As(err, &le) && le.Type == hashtree.LookupResultAbsent {
			return nil, errAbsent
		}
		return nil, fmt.Errorf("%w: lookup request status: %v", ErrCertificate, err)
	}
	switch string(status) {
	case "replied":
		reply, err := tree.Lookup(at("reply")...)
		if err != nil {
			return nil, fmt.Errorf("%w: replied status without reply: %v", ErrCertificate, err)
		}
		return reply, nil
	case "rejected":
		code, err := tree.Lookup(at("reject_code")...)
		if err != nil {
			return nil, fmt.Errorf("%w: rejected status without reject_code: %v", ErrCertificate, err)
		}
		msg, _ := tree.Lookup(at("reject_message")...)
		ec, _ := tree.Lookup(at("error_code")...)
		n, _ := leb128(code)
		return nil, &Reject{Method: method, Code: n, Message: string(msg), ErrorCode: string(ec)}
	case "done":
		return nil, fmt.Errorf("%s: %w", method, ErrResponseLost)
	}
	return nil, errNotYet
}

// readStatus fetches and verifies a certificate for /request_status/<rid>.
func (c *Client) readStatus(ctx context.Context, ecid principal.Principal, rid agent.RequestID) (hashtree.HashTree, error) {
	expiry := c.cfg.Now().Add(c.cfg.IngressExpiry)
	req := agent.Request{
		Type: agent.RequestTypeReadState, Sender: c.Sender(),
		IngressExpiry: uint64(expiry.UnixNano()),
		Paths:         [][]hashtree.Label{{hashtree.Label("request_status"), rid[:]}},
	}
	_, body, err := c.sign(req)
	if err != nil {
		return hashtree.HashTree{}, err
	}
	var status int
	var resp []byte
	path := ""
	if !c.v2Read.Load() {
		path = "/api/v3/canister/" + ecid.String() + "/read_state"
		status, resp, err = c.post(ctx, path, body, expiry)
		if err != nil {
			return hashtree.HashTree{}, err
		}
		if status == http.StatusNotFound {
			c.v2Read.Store(true)
		}
	}
	if c.v2Read.Load() {
		path = "/api/v2/canister/" + ecid.String() + "/read_state"
		status, resp, err = c.post(ctx, path, body, expiry)
		if err != nil {
			return hashtree.HashTree{}, err
		}
	}
	if status != http.StatusOK {
		return hashtree.HashTree{}, &HTTPError{Endpoint: path, Status: status, Body: snippet(resp)}
	}
	var ans struct {
		Certificate []byte `cbor:"certificate"`
	}
	if err := cbor.Unmarshal(resp, &ans); err != nil {
		return hashtree.HashTree{}, fmt.Errorf("decode read_state answer: %w", err)
	}
	return c.verify(ans.Certificate, ecid)
}

// post sends body and returns the status and the whole answer. Network
// failures match ErrTransient. A 429 answer means the request was not
// forwarded: post closes the process's Gate for the Retry-After the node
// asked (or a jittered backoff) and sends the same body again once it
// opens, until the request's expiry (a signed request past its
// ingress_expiry is refused) or ctx's deadline would pass, or after
// rateLimitAttempts; then it returns a *RateLimitedError, which says the
// request was never sent.
func (c *Client) post(ctx context.Context, path string, body []byte, expiry time.Time) (int, []byte, error) {
	for attempt := 1; ; attempt++ {
		if err := c.cfg.Gate.Wait(ctx); err != nil {
			return 0, nil, err
		}
		status, resp, hdr, err := c.postOnce(ctx, path, body)
		if err != nil || status != http.StatusTooManyRequests {
			return status, resp, err
		}
		ra := hdr.Get("Retry-After")
		until := c.cfg.Gate.Block(rateLimitDelay(ra, attempt, c.cfg.Now()))
		dl, hasDL := ctx.Deadline()
		if attempt >= rateLimitAttempts || (!expiry.IsZero() && until.After(expiry.Add(-time.Second))) ||
			(hasDL && until.After(dl)) {
			return 0, nil, &RateLimitedError{Endpoint: path, Attempts: attempt, RetryAfter: ra}
		}
	}
}

// postOnce sends body once. 5xx answers are *HTTPError (ErrTransient); a
// 429 is returned as a status with its headers for post to handle.
func (c *Client) postOnce(ctx context.Context, path string, body []byte) (int, []byte, http.Header, error) {
	u := c.cfg.URL.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/cbor")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		return 0, nil, nil, transient(err, "POST %s", path)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, 16<<20)); err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		return 0, nil, nil, transient(err, "POST %s: read answer", path)
	}
	if resp.StatusCode >= 500 {
		return 0, nil, nil, &HTTPError{Endpoint: path, Status: resp.StatusCode, Body: snippet(buf.Bytes())}
	}
	return resp.StatusCode, buf.Bytes(), resp.Header, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// leb128 decodes an unsigned LEB128 value (a certified /time or reject
// code) that fills b.
func leb128(b []byte) (uint64, error) {
	v, _, err := leb128pkg.DecodeUnsigned(b)
	return v, err
}
