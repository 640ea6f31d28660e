package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/fxamacker/cbor/v2"
)

const (
	countersPath = "/_sim/counters"
	// maxBodyBytes bounds request bodies: the IC's 2 MiB ingress limit plus
	// envelope headroom.
	maxBodyBytes = 4 << 20
)

func (s *Simulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/status", s.handleStatus)
	mux.HandleFunc("POST /api/{ver}/canister/{id}/call", s.handleCall)
	mux.HandleFunc("POST /api/{ver}/canister/{id}/read_state", s.handleReadState)
	mux.HandleFunc("POST /api/{ver}/subnet/{id}/read_state", s.handleReadState)
	mux.HandleFunc("POST /api/{ver}/canister/{id}/query", s.handleQuery)
	mux.HandleFunc("GET "+countersPath, s.handleCounters)
	s.adminRoutes(mux)
	return s.rateLimit(mux)
}

// endpoint names a route for the counters and checks its version.
func (s *Simulator) endpoint(w http.ResponseWriter, r *http.Request, kind string, versions ...string) (string, bool) {
	ver := r.PathValue("ver")
	name := ver + "/" + kind
	s.counters.add(func(c *Counters) { c.Endpoints[name]++ })
	for _, v := range versions {
		if v == ver {
			return ver, true
		}
	}
	http.Error(w, fmt.Sprintf("unsupported endpoint /api/%s/.../%s", ver, kind), http.StatusNotFound)
	return "", false
}

func (s *Simulator) handleStatus(w http.ResponseWriter, _ *http.Request) {
	s.counters.add(func(c *Counters) { c.Endpoints["v2/status"]++ })
	writeCBOR(w, http.StatusOK, map[string]any{
		"ic_api_version":        "0.18.0",
		"impl_source":           "https://github.com/canic-backup/canic-backup",
		"impl_version":          "canic-sim",
		"root_key":              s.signer.RootKeyDER(),
		"replica_health_status": "healthy",
	})
}

func (s *Simulator) handleCounters(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.counters.snapshot())
}

// readEnvelope reads, decodes and authenticates the body, answering the
// client itself on failure.
func (s *Simulator) readEnvelope(w http.ResponseWriter, r *http.Request, wantType string) (*envelope.Envelope, principal.Principal, bool) {
	ecid, err := principal.Decode(r.PathValue("id"))
	if err != nil {
		s.badRequest(w, http.StatusBadRequest, fmt.Sprintf("invalid effective id %q in URL: %v", r.PathValue("id"), err))
		return nil, ecid, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.badRequest(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxBodyBytes))
		} else {
			s.badRequest(w, http.StatusBadRequest, "read request body: "+err.Error())
		}
		return nil, ecid, false
	}
	env, err := envelope.Decode(body)
	if err != nil {
		s.badRequest(w, http.StatusBadRequest, "Could not parse body as "+wantType+" message: "+err.Error())
		return nil, ecid, false
	}
	if env.Content.RequestType != wantType {
		s.badRequest(w, http.StatusBadRequest, fmt.Sprintf("request_type %q sent to a %s endpoint", env.Content.RequestType, wantType))
		return nil, ecid, false
	}
	if wantType != envelope.TypeReadState && len(env.Content.CanisterID) > 0 && !bytes.Equal(env.Content.CanisterID, ecid.Raw) {
		s.badRequest(w, http.StatusBadRequest, fmt.Sprintf("Specified CanisterId %s does not match effective canister id in URL %s",
			principal.Principal{Raw: env.Content.CanisterID}, ecid))
		return nil, ecid, false
	}
	if err := env.Authenticate(s.now()); err != nil {
		s.badRequest(w, http.StatusBadRequest, err.Error())
		return nil, ecid, false
	}
	return env, ecid, true
}

func (s *Simulator) badRequest(w http.ResponseWriter, code int, msg string) {
	s.counters.add(func(c *Counters) { c.BadRequests++ })
	http.Error(w, msg, code)
}

func writeCBOR(w http.ResponseWriter, code int, v any) {
	b, err := cbor.Marshal(cbor.Tag{Number: cert.SelfDescribeTag, Content: v})
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// dropConnection loses the response: the client sees the connection close
// without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
