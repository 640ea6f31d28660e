package replica

import (
	"context"
	"time"
)

// defaultStopTimeout is the IC's stop_canister timeout.
const defaultStopTimeout = 5 * time.Minute

// stopTimer remembers when a stop that takes time completes. It is not
// persisted: a canister saved while stopping reloads as stopping and is
// stopped by the next stop_canister.
type stopTimer struct {
	done time.Time // monotonic
}

// currentStatus is c's status with a pending stop whose delay has
// elapsed counted as stopped (for readers holding only the read lock).
func (c *canister) currentStatus() canisterStatus {
	if c.status == statusStopping && c.stopAt != nil && !time.Now().Before(c.stopAt.done) {
		return statusStopped
	}
	return c.status
}

// settleStop completes a pending stop whose delay has elapsed.
func (s *state) settleStop(c *canister) {
	if c.status == statusStopping && c.stopAt != nil && !time.Now().Before(c.stopAt.done) {
		c.status = statusStopped
		c.stopAt = nil
		c.version++
	}
}

// stopWithDelay runs stop_canister when Mainnet.StopDelay is set: the
// canister becomes stopping and the call waits for it to stop; past the
// stop timeout the call is rejected with IC0206 (SYS_TRANSIENT) and the
// canister stays stopping until the delay has elapsed. A start_canister
// meanwhile makes it running and the stop is rejected with IC0511, as on
// the IC.
func (r *Replica) stopWithDelay(ctx context.Context, c Call) ([]byte, error) {
	s := r.st
	a, err := decodeArgs(c.Method, c.Arg)
	if err != nil {
		return nil, reject(ErrInvalidManagementPayload, "%s", err.Error())
	}
	s.mu.Lock()
	if err := s.chargeMgmt(c.Method, a); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	can, err := s.controlled(c.Sender, a)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.settleStop(can)
	if can.status == statusStopped {
		s.mu.Unlock()
		return emptyReply, nil
	}
	if can.stopAt == nil {
		can.status = statusStopping
		can.stopAt = &stopTimer{done: time.Now().Add(s.cfg.Mainnet.StopDelay)}
	}
	stop := can.stopAt
	s.mu.Unlock()

	timeout := s.cfg.Mainnet.StopTimeout
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	if wait := min(time.Until(stop.done), timeout); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, reject(ErrCertifiedStateUnavailable, "the simulator is shutting down")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleStop(can)
	switch {
	case can.status == statusStopped:
		return emptyReply, nil
	case can.status == statusRunning || can.stopAt != stop:
		return nil, reject(ErrCanisterStoppingCancelled, "Canister %s was started before it could be stopped: the stop was cancelled", text(can.id))
	default: // the stop timeout passed first
		return nil, reject(ErrStopCanisterTimeout, "Stop canister request timed out: canister %s is still stopping", text(can.id))
	}
}
