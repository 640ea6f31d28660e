package sim

import (
	"fmt"
	"net/http"

	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// maxIngressBytes is the IC's limit on an ingress message (method name,
// argument, nonce and principals) on an application subnet: 2 MiB.
const maxIngressBytes = 2 << 20

// ingressTooLarge answers 413 for a call whose message exceeds the IC's
// ingress limit, as the replica's HTTP endpoint does; the call is not
// executed.
func (s *Simulator) ingressTooLarge(w http.ResponseWriter, env *envelope.Envelope) bool {
	c := env.Content
	n := len(c.MethodName) + len(c.Arg) + len(c.Nonce) + len(c.Sender) + len(c.CanisterID)
	if n <= maxIngressBytes {
		return false
	}
	s.badRequest(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(
		"Request %x is too large. Message byte size %d is larger than the max allowed %d.", env.RequestID[:], n, maxIngressBytes))
	return true
}

// nonReplicated answers a call the IC refused before execution: the
// rejection is not certified and the request id stays unknown. v3/v4 call
// answer 200 with {status: "non_replicated_rejection", reject_code,
// reject_message, error_code}; v2 call answers 200 with {reject_code,
// reject_message, error_code} (interface spec, "Request: Call" and
// "Request: Asynchronous Call").
func (s *Simulator) nonReplicated(w http.ResponseWriter, ver string, rej *replica.Reject) {
	s.counters.add(func(c *Counters) { c.NonReplicatedRejections++ })
	s.countReject(rej)
	body := map[string]any{"reject_code": rej.Code, "reject_message": rej.Message, "error_code": rej.ErrorCode}
	if ver != "v2" {
		body["status"] = "non_replicated_rejection"
	}
	writeCBOR(w, http.StatusOK, body)
}

// countReject counts the rejects tests look for.
func (s *Simulator) countReject(rej *replica.Reject) {
	switch rej.ErrorCode {
	case replica.ErrCanisterOutOfCycles:
		s.counters.add(func(c *Counters) { c.OutOfCycles++ })
	case replica.ErrStopCanisterTimeout:
		s.counters.add(func(c *Counters) { c.StopTimeouts++ })
	}
}
