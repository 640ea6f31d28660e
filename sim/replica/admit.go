package replica

import (
	"github.com/canic-backup/canic-backup/internal/cyclecost"
)

// inspectRefusedMethod is an update method of the built-in application
// whose canister_inspect_message refuses every ingress message, so tests
// can provoke the IC's inspect_message refusal (IC0406, never executed).
const inspectRefusedMethod = "sim_refused_by_inspect"

// Admit is the IC's ingress filter for an update call, run before the
// call enters the state: it refuses what the IC refuses before execution
// (a canister that does not exist, is stopped or stopping, has no module
// or no such method, a message its inspect_message refuses, a
// non-controller calling the management canister about it, a target that
// cannot pay the induction fee) and otherwise charges the induction fee
// (package cyclecost) to the call's effective canister. A refusal is a
// *Reject the caller answers as a non_replicated_rejection; nothing was
// executed or charged.
func (r *Replica) Admit(c Call) error {
	if c.Kind != Update {
		return nil
	}
	s := r.st
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(c.Canister) == 0 {
		return s.admitMgmt(c)
	}
	can, ok := s.canisters[string(c.Canister)]
	if !ok {
		return reject(ErrCanisterNotFound, "Canister %s not found.", text(c.Canister))
	}
	s.settleStop(can)
	switch can.status {
	case statusStopped:
		return reject(ErrCanisterStopped, "Canister %s is stopped and therefore does not have a CallContextManager", text(can.id))
	case statusStopping:
		return reject(ErrCanisterStopping, "Canister %s is stopping", text(can.id))
	}
	if can.exec.module == nil {
		return reject(ErrCanisterWasmModuleNotFound, "Attempted to execute a message, but the canister contains no Wasm module.")
	}
	if c.Method == inspectRefusedMethod {
		return reject(ErrCanisterRejectedMessage, "Canister %s rejected the message", text(can.id))
	}
	if _, known := appMethods[c.Method]; !known || (c.Method == "canic_subnet_registry" && can.registry == nil) {
		return reject(ErrCanisterMethodNotFound, "Canister %s has no update method '%s'", text(can.id), c.Method)
	}
	return s.charge(can, cyclecost.IngressCall(c.Method, c.Arg), can.memory())
}

// admitMgmt filters an ingress call to the management canister: its
// effective canister is the target named by canister_id, which must exist
// and be controlled by the sender, and which pays the induction fee.
// Calls without a target (canister creation) or with an undecodable
// argument are left to execution.
func (s *state) admitMgmt(c Call) error {
	if _, ok := mgmtMethods[c.Method]; !ok {
		return nil
	}
	a, err := decodeArgs(c.Method, c.Arg)
	if err != nil {
		return nil
	}
	id, err := a.principal("canister_id")
	if err != nil {
		return nil
	}
	can, ok := s.canisters[string(id)]
	if !ok {
		return notFound(id)
	}
	if !can.isController(c.Sender) {
		return notController(can, c.Sender)
	}
	return s.charge(can, cyclecost.IngressCall(c.Method, c.Arg), can.memory())
}
