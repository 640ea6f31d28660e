package crashtest

import (
	"fmt"
	"sync"
)

// tally counts the harness's outcomes across parallel subtests.
type tally struct {
	mu                             sync.Mutex
	points, resumed, lost, stopped int
	unreached                      int
	byName                         map[string]int
}

// add records one kill point's outcome.
func (t *tally) add(name string, reached, resumed, lost, stopped bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byName == nil {
		t.byName = map[string]int{}
	}
	if !reached {
		t.unreached++
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
