package sim

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/aviate-labs/agent-go/principal"
)

// cyclesPath is the admin endpoint that sets one canister's balance:
// POST /_sim/canister/<id>/cycles?amount=N.
const cyclesPath = "/_sim/canister/{id}/cycles"

// adminRoutes adds the /_sim/ test endpoints (never rate limited).
func (s *Simulator) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+cyclesPath, s.handleSetCycles)
	mux.HandleFunc("GET "+cyclesPath, s.handleGetCycles)
}

func (s *Simulator) handleSetCycles(w http.ResponseWriter, r *http.Request) {
	id, err := principal.Decode(r.PathValue("id"))
	if err != nil {
		http.Error(w, fmt.Sprintf("canister id %q: %v", r.PathValue("id"), err), http.StatusBadRequest)
		return
	}
	amount, err := strconv.ParseUint(r.URL.Query().Get("amount"), 10, 64)
	if err != nil {
		http.Error(w, fmt.Sprintf("amount %q: want a non-negative integer number of cycles", r.URL.Query().Get("amount")), http.StatusBadRequest)
		return
	}
	if err := s.SetCycles(id, amount); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) handleGetCycles(w http.ResponseWriter, r *http.Request) {
	id, err := principal.Decode(r.PathValue("id"))
	if err != nil {
		http.Error(w, fmt.Sprintf("canister id %q: %v", r.PathValue("id"), err), http.StatusBadRequest)
		return
	}
	c, ok := s.rep.Cycles(id.Raw)
	if !ok {
		http.Error(w, "no such canister "+id.String(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintln(w, c.String())
}
