package sim

import (
	"net/http"

	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// handleQuery serves /api/v2|v3/canister/<id>/query with a reply signed by
// the Ed25519 key of the node of the subnet serving <id>.
func (s *Simulator) handleQuery(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.endpoint(w, r, "query", "v2", "v3"); !ok {
		return
	}
	env, ecid, ok := s.readEnvelope(w, r, envelope.TypeQuery)
	if !ok {
		return
	}
	s.counters.add(func(c *Counters) { c.Queries[env.Content.MethodName]++ })
	ctx := r.Context()
	release, err := s.faults.acquire(ctx)
	if err != nil {
		return
	}
	defer release()
	s.counters.enter()
	defer s.counters.leave()
	if err := sleep(ctx, s.faults.get().QueryLatency); err != nil {
		return
	}
	reply, err := s.rep.Execute(ctx, replica.Call{
		Sender: env.Content.Sender, Canister: env.Content.CanisterID,
		Method: env.Content.MethodName, Arg: env.Content.Arg, Kind: replica.Query,
	})
	ts := uint64(s.now().UnixNano())
	var signed, body map[string]any
	if err != nil {
		rej := asReject(err)
		signed = map[string]any{"status": "rejected", "reject_code": rej.Code, "reject_message": rej.Message,
			"error_code": rej.ErrorCode, "timestamp": ts, "request_id": env.RequestID[:]}
		body = map[string]any{"status": "rejected", "reject_code": rej.Code, "reject_message": rej.Message,
			"error_code": rej.ErrorCode}
	} else {
		if reply == nil {
			reply = []byte{}
		}
		signed = map[string]any{"status": "replied", "reply": map[string]any{"arg": reply},
			"timestamp": ts, "request_id": env.RequestID[:]}
		body = map[string]any{"status": "replied", "reply": map[string]any{"arg": reply}}
	}
	node := s.subnetFor(ecid.Raw).node
	h, err := envelope.HashOfMap(signed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body["signatures"] = []any{map[string]any{
		"timestamp": ts, "signature": node.SignResponse(h), "identity": node.NodeID(),
	}}
	writeCBOR(w, http.StatusOK, body)
}
