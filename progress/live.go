package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// liveRefresh is how often the live view redraws.
const liveRefresh = 100 * time.Millisecond

// Live is the terminal view: one line per canister showing its current
// phase and download bytes, and a fleet line with the operations done and
// bytes downloaded.
//
// Two locks keep mpb's render goroutine, which runs the decorators, from
// ever waiting on a goroutine that waits on mpb: mu guards the bars and is
// held around mpb calls; stateMu guards what the lines show, is taken by
// the decorators and is never held around an mpb call.
type Live struct {
	mu    sync.Mutex
	p     *mpb.Progress
	fleet *mpb.Bar
	bars  map[string]*mpb.Bar
	order []string

	stateMu sync.Mutex
	state   map[string]*canisterState
	bytes   map[string]uint64
	runID   string
}

// canisterState is what a canister's line shows.
type canisterState struct {
	phase      string
	status     string
	bytesDone  uint64
	bytesTotal uint64
}

// NewLive returns a live view drawing on w, which should be a terminal.
func NewLive(w io.Writer) *Live {
	return &Live{
		p:     mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(liveRefresh), mpb.WithWidth(100), mpb.ForceTTY(), mpb.WithAutoRefresh()),
		bars:  map[string]*mpb.Bar{},
		state: map[string]*canisterState{},
		bytes: map[string]uint64{},
	}
}

// Event implements Renderer.
func (l *Live) Event(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.update(e)
	l.ensureFleet(e.TotalOperations)
	for _, id := range e.Targets {
		l.addCanister(id)
	}
	if e.Target != "" {
		l.addCanister(e.Target)
		if bar := l.bars[e.Target]; bar != nil && e.Type == DownloadProgress && e.BytesTotal > 0 {
			bar.SetTotal(int64(e.BytesTotal), false)
			bar.SetCurrent(int64(e.BytesDone))
		}
	}
	if l.fleet != nil && e.TotalOperations > 0 {
		l.fleet.SetTotal(int64(e.TotalOperations), false)
		l.fleet.SetCurrent(int64(e.CompletedOperations))
	}
}

// update records what e changes on the lines.
func (l *Live) update(e Event) {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if e.RunID != "" {
		l.runID = e.RunID
	}
	for _, id := range e.Targets {
		l.canister(id)
	}
	if e.Target == "" {
		return
	}
	s := l.canister(e.Target)
	switch e.Type {
	case OperationStarted:
		s.phase, s.status = e.Phase, "running"
	case OperationFinished:
		s.phase, s.status = e.Phase, e.Outcome
	case DownloadProgress:
		s.phase, s.status = e.Phase, "running"
		s.bytesDone, s.bytesTotal = e.BytesDone, e.BytesTotal
		l.bytes[e.Target] = e.BytesDone
	case CanisterRestarted:
		s.status = "restarted"
	}
}

// canister returns the state of id (stateMu held).
func (l *Live) canister(id string) *canisterState {
	s, ok := l.state[id]
	if !ok {
		s = &canisterState{phase: "waiting"}
		l.state[id] = s
	}
	return s
}

// ensureFleet adds the fleet line once the total is known.
func (l *Live) ensureFleet(total int) {
	if l.fleet != nil || total == 0 {
		return
	}
	l.fleet = l.p.AddBar(int64(total), mpb.BarPriority(1<<30),
		mpb.PrependDecorators(
			decor.Any(func(decor.Statistics) string { return l.fleetLabel() }, decor.WCSyncSpaceR),
			decor.CountersNoUnit("%d/%d operations", decor.WCSyncSpaceR),
		),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return l.fleetBytes() })),
	)
}

// addCanister adds the line of id on first sight (mu held).
func (l *Live) addCanister(id string) {
	if _, ok := l.bars[id]; ok {
		return
	}
	l.order = append(l.order, id)
	l.bars[id] = l.p.AddBar(0, mpb.BarPriority(len(l.order)),
		mpb.PrependDecorators(
			decor.Name(id, decor.WCSyncSpaceR),
			decor.Any(func(decor.Statistics) string { return l.phaseText(id) }, decor.WCSyncSpaceR),
		),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return l.bytesText(id) })),
	)
}

func (l *Live) fleetLabel() string {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.runID == "" {
		return "fleet"
	}
	return "fleet " + l.runID
}

func (l *Live) fleetBytes() string {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	var n uint64
	for _, b := range l.bytes {
		n += b
	}
	return Bytes(n) + " downloaded"
}

func (l *Live) phaseText(id string) string {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	s := l.canister(id)
	if s.status == "" {
		return s.phase
	}
	return fmt.Sprintf("%s (%s)", s.phase, s.status)
}

func (l *Live) bytesText(id string) string {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	s := l.canister(id)
	if s.bytesTotal == 0 && s.bytesDone == 0 {
		return ""
	}
	return fmt.Sprintf("%s / %s", Bytes(s.bytesDone), Bytes(s.bytesTotal))
}

// Result implements Renderer (the view prints no result).
func (l *Live) Result(any) error { return nil }

// Close completes every line, draws the view a last time and stops it.
func (l *Live) Close() error {
	l.mu.Lock()
	bars := make([]*mpb.Bar, 0, len(l.bars)+1)
	for _, id := range l.order {
		bars = append(bars, l.bars[id])
	}
	if l.fleet != nil {
		bars = append(bars, l.fleet)
	}
	l.mu.Unlock()
	for _, b := range bars {
		b.SetTotal(-1, true)
	}
	l.p.Wait()
	return nil
}
