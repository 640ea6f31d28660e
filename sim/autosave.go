package sim

import (
	"time"
)

// autosaver saves the state in the background after state-changing calls:
// the first change after a quiet spell at once, later ones at most once per
// interval, and never for more than a fifth of the time (the pause after a
// save is at least four times its duration). A killed simulator so loses at
// most about one interval of changes. Save failures are counted by Save
// (Counters.SaveErrors); the next change tries again.
type autosaver struct {
	save     func() error
	interval time.Duration

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newAutosaver(save func() error, interval time.Duration) *autosaver {
	a := &autosaver{save: save, interval: interval,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go a.loop()
	return a
}

// changed asks for a save; it never blocks.
func (a *autosaver) changed() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func (a *autosaver) loop() {
	defer close(a.done)
	var last time.Time
	var pause time.Duration
	for {
		select {
		case <-a.stop:
			return
		case <-a.kick:
		}
		if wait := pause - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-a.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select { // changes from here on ask for the next save
		case <-a.kick:
		default:
		}
		start := time.Now()
		_ = a.save()
		last = time.Now()
		pause = max(a.interval, 4*last.Sub(start))
	}
}

// close stops the loop; a save in progress finishes first.
func (a *autosaver) close() {
	close(a.stop)
	<-a.done
}
