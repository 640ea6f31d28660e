package sim

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// handleCall serves /api/v2/canister/<id>/call (202, then the client polls
// read_state) and /api/v3|v4/canister/<id>/call (waits for the result and
// answers with its certificate, or 202 after SyncCallTimeout). On an
// application subnet the certificate's delegation has the flat ranges on
// v3 and the sharded ones on v4, as the replica sends them.
func (s *Simulator) handleCall(w http.ResponseWriter, r *http.Request) {
	ver, ok := s.endpoint(w, r, "call", "v2", "v3", "v4")
	if !ok {
		return
	}
	env, ecid, ok := s.readEnvelope(w, r, envelope.TypeCall)
	if !ok {
		return
	}
	if s.ingressTooLarge(w, env) {
		return
	}
	st, refused := s.submit(env, s.subnetFor(ecid.Raw))
	if refused != nil {
		s.nonReplicated(w, ver, refused)
		return
	}
	if ver == "v2" {
		if st.lost {
			dropConnection(w)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	t := time.NewTimer(s.syncWait)
	defer t.Stop()
	select {
	case <-st.done:
	case <-t.C:
		w.WriteHeader(http.StatusAccepted)
		return
	case <-r.Context().Done():
		return
	}
	if st.lost {
		dropConnection(w)
		return
	}
	var tree cert.Tree
	tree.InsertString(cert.LEB128(uint64(s.now().UnixNano())), "time")
	s.insertRequestStatus(&tree, env.RequestID[:], st)
	c, err := s.sign(s.subnetFor(ecid.Raw), tree.Node(), ver == "v4")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeCBOR(w, http.StatusOK, map[string]any{"status": "replied", "certificate": c})
}

// submit registers an update call to subnet sn and starts executing it,
// unless the same request id is already known (a resubmission is not
// executed twice) or the IC's ingress filter refuses it before execution
// (refused: the call never enters the state and is answered
// non_replicated_rejection).
func (s *Simulator) submit(env *envelope.Envelope, sn *subnet) (st *reqState, refused *replica.Reject) {
	if got := s.reqs.get(env.RequestID[:]); got != nil {
		return got, nil
	}
	call := replica.Call{
		Sender: env.Content.Sender, Canister: env.Content.CanisterID,
		Method: env.Content.MethodName, Arg: env.Content.Arg, Kind: replica.Update,
		Serves: func(id []byte) bool { return s.subnetFor(id) == sn },
	}
	if err := s.rep.Admit(call); err != nil {
		return nil, asReject(err)
	}
	st = &reqState{sender: env.Content.Sender, done: make(chan struct{}), status: statusReceived, at: s.now()}
	got, fresh := s.reqs.add(env.RequestID, st)
	if !fresh {
		return got, nil
	}
	st.transient, st.lost = s.faults.roll()
	s.counters.add(func(c *Counters) { c.Calls[env.Content.MethodName]++ })
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.execute(s.baseCtx, st, call)
	}()
	return st, nil
}

func (s *Simulator) execute(ctx context.Context, st *reqState, call replica.Call) {
	release, err := s.faults.acquire(ctx)
	if err != nil {
		st.finish(statusRejected, nil, shutdownReject())
		return
	}
	defer release()
	s.counters.enter()
	defer s.counters.leave()
	st.setStatus(statusProcessing)
	if err := sleep(ctx, s.faults.get().UpdateLatency); err != nil {
		st.finish(statusRejected, nil, shutdownReject())
		return
	}
	if st.transient {
		s.counters.add(func(c *Counters) { c.TransientRejects++ })
		st.finish(statusRejected, nil, replica.NewReject(replica.ErrCanisterQueueFull,
			"simulated transient failure: the canister queue is full, try again"))
		return
	}
	reply, err := s.rep.Execute(ctx, call)
	if call.ChangesState() {
		s.changed()
	}
	if st.lost {
		s.counters.add(func(c *Counters) { c.LostResponses++ })
		st.finish(statusDone, nil, nil)
		return
	}
	if err != nil {
		rej := asReject(err)
		s.countReject(rej)
		st.finish(statusRejected, nil, rej)
		return
	}
	if reply == nil {
		reply = []byte{}
	}
	st.finish(statusReplied, reply, nil)
}

func shutdownReject() *replica.Reject {
	return replica.NewReject(replica.ErrCertifiedStateUnavailable, "the simulator is shutting down")
}

// asReject turns an execution error into the reject the IC would certify.
func asReject(err error) *replica.Reject {
	var rej *replica.Reject
	if errors.As(err, &rej) {
		return rej
	}
	return replica.NewReject(replica.ErrCanisterCalledTrap, "%s", err.Error())
}

// insertRequestStatus adds /request_status/<rid>/... for st to tree.
func (s *Simulator) insertRequestStatus(tree *cert.Tree, rid []byte, st *reqState) {
	status, reply, rej := st.view()
	base := [][]byte{[]byte("request_status"), rid}
	put := func(v []byte, label string) { tree.Insert(v, append(base[:2:2], []byte(label))...) }
	put([]byte(status), "status")
	switch status {
	case statusReplied:
		put(reply, "reply")
	case statusRejected:
		put(cert.LEB128(rej.Code), "reject_code")
		put([]byte(rej.Message), "reject_message")
		if rej.ErrorCode != "" {
			put([]byte(rej.ErrorCode), "error_code")
		}
	}
}
