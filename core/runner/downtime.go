package runner

import (
	"fmt"
	"sort"
	"time"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
)

// DowntimeFile records the downtime windows of a run with
// Config.RecordDowntime (not a 0.35.1 file; 0.35.1 ignores it).
const DowntimeFile = "backup-downtime.json"

// timeLayout renders window bounds: RFC 3339 in UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Downtime is how long the backup kept canisters stopped: per canister,
// from the moment its stop was requested until its start returned, and for
// the fleet, from the first stop to the last start.
type Downtime struct {
	// Fleet is nil until every stopped canister has been started again.
	Fleet *Window `json:"fleet"`
	// Canisters are in the order their stops were requested.
	Canisters []CanisterWindow `json:"canisters"`
}

// Window is one downtime interval.
type Window struct {
	// FirstStopAt is when the first stop was requested.
	FirstStopAt string `json:"first_stop_at"`
	// LastStartAt is when the last start returned.
	LastStartAt string `json:"last_start_at"`
	// DurationMillis is LastStartAt - FirstStopAt.
	DurationMillis uint64 `json:"duration_ms"`
}

// CanisterWindow is the downtime of one canister.
type CanisterWindow struct {
	CanisterID string `json:"canister_id"`
	// StopRequestedAt is when the stop was requested.
	StopRequestedAt string `json:"stop_requested_at"`
	// StartedAt is when the start returned (nil while stopped).
	StartedAt *string `json:"started_at"`
	// DurationMillis is StartedAt - StopRequestedAt (nil while stopped).
	DurationMillis *uint64 `json:"duration_ms"`
}

// Provenance is what canic-backup adds to the manifest beyond 0.35.1's
// fields (serde ignores unknown fields, so 0.35.1 still reads it).
type Provenance struct {
	// Downtime is the run's downtime windows.
	Downtime Downtime `json:"downtime"`
}

// manifestDocument is the manifest as written: 0.35.1's fields, then
// provenance when there is any.
type manifestDocument struct {
	manifest.FleetBackupManifest
	Provenance *Provenance `json:"provenance,omitempty"`
}

// noteTiming records the downtime bounds of a completed stop or start
// and writes the downtime record. Run goroutine only.
func (r *run) noteTiming(op *journal.BackupExecutionJournalOperation, out outcome) error {
	if !r.timing(op, out) {
		return nil
	}
	return r.store.writeJSON(DowntimeFile, r.downtime)
}

// timing records the downtime bounds of a completed stop or start in
// memory and reports whether the record changed (the caller writes it).
func (r *run) timing(op *journal.BackupExecutionJournalOperation, out outcome) bool {
	if !r.cfg.RecordDowntime || op.TargetCanisterID == nil {
		return false
	}
	switch op.Kind {
	case plan.OpStop:
		r.downtime.stopRequested(*op.TargetCanisterID, out.began)
		return true
	case plan.OpStart:
		return r.downtime.started(*op.TargetCanisterID, out.ended)
	}
	return false
}

// noteRestart records that compensation started id at t.
func (r *run) noteRestart(id string, t time.Time) {
	if r.cfg.RecordDowntime && r.downtime.started(id, t) {
		_ = r.store.writeJSON(DowntimeFile, r.downtime)
	}
}

// stopRequested opens (or reopens, on a retry) the window of id.
func (d *Downtime) stopRequested(id string, t time.Time) {
	at := t.UTC().Format(timeLayout)
	for i := range d.Canisters {
		if d.Canisters[i].CanisterID == id {
			d.Canisters[i] = CanisterWindow{CanisterID: id, StopRequestedAt: at}
			d.refresh()
			return
		}
	}
	d.Canisters = append(d.Canisters, CanisterWindow{CanisterID: id, StopRequestedAt: at})
	d.refresh()
}

// started closes the window of id; it reports whether one was open.
func (d *Downtime) started(id string, t time.Time) bool {
	for i := range d.Canisters {
		c := &d.Canisters[i]
		if c.CanisterID != id || c.StartedAt != nil {
			continue
		}
		at := t.UTC().Format(timeLayout)
		c.StartedAt = &at
		ms := millisBetween(c.StopRequestedAt, at)
		c.DurationMillis = &ms
		d.refresh()
		return true
	}
	return false
}

// refresh recomputes the fleet window.
func (d *Downtime) refresh() {
	d.Fleet = nil
	if len(d.Canisters) == 0 {
		return
	}
	first, last := "", ""
	for _, c := range d.Canisters {
		if c.StartedAt == nil {
			return
		}
		if first == "" || before(c.StopRequestedAt, first) {
			first = c.StopRequestedAt
		}
		if last == "" || before(last, *c.StartedAt) {
			last = *c.StartedAt
		}
	}
	d.Fleet = &Window{FirstStopAt: first, LastStartAt: last, DurationMillis: millisBetween(first, last)}
}

// Duration returns the fleet window's length (0 while incomplete).
func (d *Downtime) Duration() time.Duration {
	if d == nil || d.Fleet == nil {
		return 0
	}
	return time.Duration(d.Fleet.DurationMillis) * time.Millisecond
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func before(a, b string) bool { return parseTime(a).Before(parseTime(b)) }

func millisBetween(a, b string) uint64 {
	d := parseTime(b).Sub(parseTime(a))
	if d < 0 {
		return 0
	}
	return uint64(d / time.Millisecond)
}

// readDowntime loads the downtime record of an earlier run, if any.
func (s store) readDowntime() (*Downtime, error) {
	d := &Downtime{Canisters: []CanisterWindow{}}
	if !s.exists(DowntimeFile) {
		return d, nil
	}
	b, err := s.read(DowntimeFile)
	if err != nil {
		return nil, err
	}
	if err := wire.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(DowntimeFile), err)
	}
	for _, c := range d.Canisters {
		if _, err := time.Parse(timeLayout, c.StopRequestedAt); err != nil {
			return nil, fmt.Errorf("%s: canisters[%s].stop_requested_at %q: %w", s.path(DowntimeFile), c.CanisterID, c.StopRequestedAt, err)
		}
	}
	sort.SliceStable(d.Canisters, func(i, j int) bool { return before(d.Canisters[i].StopRequestedAt, d.Canisters[j].StopRequestedAt) })
	d.refresh()
	return d, nil
}

// provenance returns the manifest's provenance, or nil when the run
// records no downtime (the manifest is then byte-identical to 0.35.1's).
func (r *run) provenance() *Provenance {
	if !r.cfg.RecordDowntime || r.downtime == nil || len(r.downtime.Canisters) == 0 {
		return nil
	}
	return &Provenance{Downtime: *r.downtime}
}
