package sim

import (
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/sim/replica"
)

// Request statuses certified at /request_status/<rid>/status.
const (
	statusReceived   = "received"
	statusProcessing = "processing"
	statusReplied    = "replied"
	statusRejected   = "rejected"
	statusDone       = "done"
)

// reqState is the life of one update call.
type reqState struct {
	sender []byte
	// lost and transient are the fault dice rolled when the call arrived.
	lost      bool
	transient bool
	done      chan struct{}

	mu     sync.Mutex
	status string
	reply  []byte
	reject *replica.Reject
	at     time.Time
}

func (r *reqState) setStatus(s string) {
	r.mu.Lock()
	r.status = s
	r.mu.Unlock()
}

func (r *reqState) finish(status string, reply []byte, rej *replica.Reject) {
	r.mu.Lock()
	r.status, r.reply, r.reject = status, reply, rej
	r.mu.Unlock()
	close(r.done)
}

func (r *reqState) view() (status string, reply []byte, rej *replica.Reject) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.reply, r.reject
}

// requests remembers update calls by request id for read_state, pruning
// finished ones once they are older than the ingress window.
type requests struct {
	mu sync.Mutex
	m  map[[32]byte]*reqState
}

const pruneThreshold = 4096

func newRequests() *requests { return &requests{m: map[[32]byte]*reqState{}} }

// add registers rid; fresh is false when rid was already known.
func (q *requests) add(rid [32]byte, st *reqState) (got *reqState, fresh bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if old, ok := q.m[rid]; ok {
		return old, false
	}
	if len(q.m) >= pruneThreshold {
		q.pruneLocked(st.at)
	}
	q.m[rid] = st
	return st, true
}

func (q *requests) get(rid []byte) *reqState {
	if len(rid) != 32 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.m[[32]byte(rid)]
}

func (q *requests) pruneLocked(now time.Time) {
	for id, st := range q.m {
		select {
		case <-st.done:
			if now.Sub(st.at) > 2*time.Duration(maxIngressWindow) {
				delete(q.m, id)
			}
		default:
		}
	}
}
