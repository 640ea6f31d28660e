package crashtest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
)

// maxAttempts bounds how often a kill point is tried: a run that ends
// without reaching its point (exit 0, the kill never fired) is repeated on
// a fresh fleet, then the point is named as unreached.
const maxAttempts = 3

// atPoint runs one kill point's scenario (run reports whether the kill
// fired) up to maxAttempts times until it is reached, recording label in
// tl as unreached when it never is.
func atPoint(t *testing.T, tl *tally, label string, run func() bool) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		if run() {
			return
		}
		if attempt == maxAttempts {
			tl.miss(label)
			t.Errorf("kill point %s was not reached in %d attempts", label, maxAttempts)
			return
		}
		t.Logf("kill point %s not reached in attempt %d; again on a fresh fleet", label, attempt)
	}
}

// tally counts the harness's outcomes across parallel subtests.
type tally struct {
	mu                             sync.Mutex
	points, resumed, lost, stopped int
	// unreached names the kill points no attempt reached.
	unreached []string
	byName    map[string]int
}

// miss records a kill point that no attempt reached.
func (t *tally) miss(label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unreached = append(t.unreached, label)
}

// missed returns the unreached kill points, sorted.
func (t *tally) missed() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.unreached...)
	sort.Strings(out)
	return out
}

// add records one kill point's outcome.
func (t *tally) add(name string, reached, resumed, lost, stopped bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byName == nil {
		t.byName = map[string]int{}
	}
	if !reached {
		return
	}
	t.points++
	t.byName[name]++
	if resumed {
		t.resumed++
	}
	if lost {
		t.lost++
	}
	if stopped {
		t.stopped++
	}
}

// line is the harness's summary line.
func (t *tally) line() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fmt.Sprintf("%d kill points, %d resumed, %d lost, %d left stopped", t.points, t.resumed, t.lost, t.stopped)
}
