package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// fleet is a root with three children, each with two grandchildren (the
// plan backs up the 9 non-root canisters: depths 1 and 2).
type fleet struct {
	root  string
	depth map[string]uint32
}

func canisterID(t *testing.T, n int) string {
	t.Helper()
	p, err := principal.FromBytes([]byte{0, 0, 0, 0, 0, 0, byte(n >> 8), byte(n), 1, 1})
	require.NoError(t, err)
	return p.String()
}

func newFleet(t *testing.T) (fleet, []registry.Entry) {
	t.Helper()
	str := func(s string) *string { return &s }
	f := fleet{root: canisterID(t, 1), depth: map[string]uint32{}}
	hash := "1111111111111111111111111111111111111111111111111111111111111111"
	entries := []registry.Entry{{Pid: f.root, Role: str("root"), Kind: str("root"), ModuleHash: str(hash)}}
	n := 2
	for c := range 3 {
		child := canisterID(t, n)
		n++
		f.depth[child] = 1
		entries = append(entries, registry.Entry{Pid: child, Role: str("hub" + string(rune('a'+c))), ParentPid: str(f.root), ModuleHash: str(hash)})
		for g := range 2 {
			leaf := canisterID(t, n)
			n++
			f.depth[leaf] = 2
			entries = append(entries, registry.Entry{Pid: leaf, Role: str("shard" + string(rune('a'+c)) + string(rune('0'+g))), ParentPid: str(child), ModuleHash: str(hash)})
		}
	}
	return f, entries
}

// fleetDir prepares a backup directory for the fleet.
func fleetDir(t *testing.T, entries []registry.Entry, root string) string {
	t.Helper()
	p, err := plan.Create(plan.CreateInput{Fleet: "perf", Network: "local", RootCanisterID: root, Registry: entries,
		Now: time.Unix(1778594400, 0)})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "backup")
	_, err = runner.Prepare(dir, p)
	require.NoError(t, err)
	return dir
}

// span is one executor call's interval.
type span struct {
	call       string
	target     string
	begin, end time.Time
}

// tracer wraps memexec with a latency per call and records every call's
// interval.
type tracer struct {
	*memexec.Executor
	latency time.Duration
	mu      sync.Mutex
	spans   []span
	// reportSums makes downloads report file digests (wrong ones when
	// lie is set).
	reportSums, lie bool
}

func (x *tracer) trace(ctx context.Context, call, id string, f func() error) error {
	b := time.Now()
	select {
	case <-time.After(x.latency):
	case <-ctx.Done():
		return ctx.Err()
	}
	err := f()
	x.mu.Lock()
	x.spans = append(x.spans, span{call: call, target: id, begin: b, end: time.Now()})
	x.mu.Unlock()
	return err
}

func (x *tracer) StopCanister(ctx context.Context, id string) error {
	return x.trace(ctx, "stop", id, func() error { return x.Executor.StopCanister(ctx, id) })
}

func (x *tracer) StartCanister(ctx context.Context, id string) error {
	return x.trace(ctx, "start", id, func() error { return x.Executor.StartCanister(ctx, id) })
}

func (x *tracer) CreateSnapshot(ctx context.Context, id string) (sid string, err error) {
	err = x.trace(ctx, "snapshot", id, func() error { sid, err = x.Executor.CreateSnapshot(ctx, id); return err })
	return sid, err
}

func (x *tracer) DownloadSnapshot(ctx context.Context, id, sid, dir string) error {
	return x.trace(ctx, "download", id, func() error {
		if err := x.Executor.DownloadSnapshot(ctx, id, sid, dir); err != nil {
			return err
		}
		if !x.reportSums {
			return nil
		}
		return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			c, err := checksum.FromFile(ctx, p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			info, _ := d.Info()
			h := c.Hash
			if x.lie {
				h = "00000000000000000000000000000000000000000000000000000000000000ff"
			}
			runner.ReportFileChecksum(ctx, filepath.ToSlash(rel), h, info.Size())
			return nil
		})
	})
}

func (x *tracer) of(call string) []span {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []span
	for _, s := range x.spans {
		if s.call == call {
			out = append(out, s)
		}
	}
	return out
}

// maxOverlap is the largest number of spans in flight at once.
func maxOverlap(spans []span) int {
	best := 0
	for _, a := range spans {
		n := 0
		for _, b := range spans {
			if !b.begin.After(a.begin) && b.end.After(a.begin) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// TestConcurrentRunKeepsFleetOrdering runs 9 canisters at depth 1 and 2
// with concurrency 8: stops go top-down one level at a time, snapshots
// start only after every stop and run together, starts go bottom-up, and
// downloads overlap; the journals complete and the manifest validates.
func TestConcurrentRunKeepsFleetOrdering(t *testing.T) {
	f, entries := newFleet(t)
	dir := fleetDir(t, entries, f.root)
	x := &tracer{Executor: memexec.New(), latency: 20 * time.Millisecond}
	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 8, RecordDowntime: true}, x)
	require.NoError(t, err)
	require.True(t, resp.Complete)

	stops, snaps, starts, downloads := x.of("stop"), x.of("snapshot"), x.of("start"), x.of("download")
	require.Len(t, stops, 9)
	for _, a := range stops {
		for _, b := range stops {
			if f.depth[a.target] < f.depth[b.target] {
				assert.False(t, b.begin.Before(a.end), "stop of depth %d began before a depth %d stop ended", f.depth[b.target], f.depth[a.target])
			}
		}
		for _, s := range snaps {
			assert.False(t, s.begin.Before(a.end), "a snapshot began before every stop ended")
		}
	}
	for _, a := range starts {
		for _, b := range starts {
			if f.depth[a.target] > f.depth[b.target] {
				assert.False(t, b.begin.Before(a.end), "start of depth %d began before a depth %d start ended", f.depth[b.target], f.depth[a.target])
			}
		}
		for _, s := range snaps {
			assert.False(t, a.begin.Before(s.end), "a start began before every snapshot ended")
		}
	}
	assert.Equal(t, 6, maxOverlap(stops[3:]), "depth-2 stops run together") // depth 1 first (3), then 6
	assert.GreaterOrEqual(t, maxOverlap(snaps), 8)
	assert.GreaterOrEqual(t, maxOverlap(downloads), 2)
	assert.LessOrEqual(t, maxOverlap(downloads), 8)
	assert.Empty(t, x.Stopped(), "every canister runs again")

	j := readExecution(t, dir)
	assert.True(t, j.Complete())
	assert.False(t, j.RestartRequired)
	b, err := os.ReadFile(filepath.Join(dir, runner.ManifestFile))
	require.NoError(t, err)
	m, err := manifest.DecodeValid(b)
	require.NoError(t, err)
	assert.Len(t, m.Fleet.Members, 9)
	assert.Contains(t, string(b), `"provenance": {`)

	require.NotNil(t, resp.Downtime)
	require.NotNil(t, resp.Downtime.Fleet)
	assert.Len(t, resp.Downtime.Canisters, 9)
	first, last := stops[0].begin, starts[0].end
	for _, s := range stops {
		first = minTime(first, s.begin)
	}
	for _, s := range starts {
		if s.end.After(last) {
			last = s.end
		}
	}
	assert.InDelta(t, float64(last.Sub(first).Milliseconds()), float64(resp.Downtime.Fleet.DurationMillis), 15)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// TestConcurrentRunMatchesSequentialArtifacts: the same fleet run one
// operation at a time and with concurrency 8 yields the same artifact
// checksums and the same operation receipts (by sequence).
func TestConcurrentRunMatchesSequentialArtifacts(t *testing.T) {
	f, entries := newFleet(t)
	manifests := map[int]*manifest.FleetBackupManifest{}
	for _, n := range []int{1, 8} {
		dir := fleetDir(t, entries, f.root)
		x := &tracer{Executor: memexec.New()}
		_, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: n}, x)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, runner.ManifestFile))
		require.NoError(t, err)
		assert.NotContains(t, string(b), "provenance", "no downtime recorded without RecordDowntime")
		manifests[n], err = manifest.DecodeValid(b)
		require.NoError(t, err)
		j := readExecution(t, dir)
		assert.Len(t, j.OperationReceipts, len(j.Operations)-4, "one receipt per mutating operation")
	}
	assert.Equal(t, manifests[1].Fleet.Members, manifests[8].Fleet.Members)
}

// TestConcurrentFailureRestartsAndRetries: a download fails while others
// run; the run waits for those in flight, records the failure, leaves no
// canister stopped (they were started already), and --retry-failed
// completes the backup.
func TestConcurrentFailureRestartsAndRetries(t *testing.T) {
	f, entries := newFleet(t)
	dir := fleetDir(t, entries, f.root)
	mem := memexec.New()
	x := &tracer{Executor: mem, latency: 5 * time.Millisecond}
	var victim string
	for id, d := range f.depth {
		if d == 2 {
			victim = id
			break
		}
	}
	mem.FailNext("download:"+victim+":snap-"+victim+"-0", errors.New("network down"))
	_, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 4}, x)
	var cf *runner.CommandFailedError
	require.ErrorAs(t, err, &cf)
	assert.Equal(t, plan.OpDownloadSnapshot, cf.Kind)
	assert.Empty(t, mem.Stopped())
	j := readExecution(t, dir)
	failed := 0
	for _, op := range j.Operations {
		assert.NotEqual(t, journal.StatePending, op.State, "nothing is left in flight")
		if op.State == journal.StateFailed {
			failed++
		}
	}
	assert.Equal(t, 1, failed)

	_, err = runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 4}, x)
	var fo *runner.FailedOperationError
	require.ErrorAs(t, err, &fo, "a failure is not retried by accident")

	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 4, RetryFailed: true}, x)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
}

// TestConcurrentFailedStopRestartsStoppedCanisters: a stop fails at depth
// 2; the depth-1 canisters (and the depth-2 ones whose stops completed)
// are started again and the retry re-stops them before snapshots.
func TestConcurrentFailedStopRestartsStoppedCanisters(t *testing.T) {
	f, entries := newFleet(t)
	dir := fleetDir(t, entries, f.root)
	mem := memexec.New()
	x := &tracer{Executor: mem}
	var victim string
	for id, d := range f.depth {
		if d == 2 {
			victim = id
		}
	}
	mem.FailNext("stop:"+victim, errors.New("stop refused"))
	_, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 8}, x)
	require.Error(t, err)
	assert.Empty(t, mem.Stopped(), "compensation started every stopped canister")
	assert.Empty(t, runner.LeftStopped(readExecution(t, dir)))

	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 8, RetryFailed: true}, x)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	for id := range f.depth {
		assert.Len(t, mem.Snapshots(id), 1, "one snapshot of %s, taken stopped", id)
	}
}

// TestConcurrentResumeReexecutesSeveralPendingOperations: a crash during
// the snapshot phase leaves several create-snapshot operations pending; the
// next run re-executes exactly those and completes.
func TestConcurrentResumeReexecutesSeveralPendingOperations(t *testing.T) {
	f, entries := newFleet(t)
	dir := fleetDir(t, entries, f.root)
	mem := memexec.New()
	x := &tracer{Executor: mem}
	cfg := runner.Config{Dir: dir, Concurrency: 8, MaxSteps: 9}
	resp, err := runner.Run(context.Background(), cfg, x)
	require.NoError(t, err)
	require.True(t, resp.MaxStepsReached)
	assert.Len(t, mem.Stopped(), 9, "every stop ran")

	// Simulate the crash: three snapshot operations marked pending.
	j := readExecution(t, dir)
	var pending []uint64
	for _, op := range j.Operations {
		if op.Kind == plan.OpCreateSnapshot && len(pending) < 3 {
			at := "unix:1"
			require.NoError(t, j.MarkOperationPendingWith(anyOrder{}, op.Sequence, &at))
			pending = append(pending, op.Sequence)
		}
	}
	b, err := j.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, runner.ExecutionJournalFile), b, 0o644))

	resp, err = runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 8}, x)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	for _, seq := range pending {
		assert.Len(t, readExecution(t, dir).ReceiptsFor(seq), 1)
	}
	for id := range f.depth {
		assert.Len(t, mem.Snapshots(id), 1)
	}
}

type anyOrder struct{}

func (anyOrder) Admit(*journal.BackupExecutionJournal, uint64) error { return nil }

// TestVerifyUsesDigestsReportedWhileWriting: when the download reports
// every file's digest, verify-artifact computes the checksum from them
// (a deliberately wrong report shows up in the checksum, proving no file
// was read); without reports it reads the files.
func TestVerifyUsesDigestsReportedWhileWriting(t *testing.T) {
	f, entries := newFleet(t)
	sums := map[string]string{}
	for _, mode := range []string{"read", "reported", "lie"} {
		dir := fleetDir(t, entries, f.root)
		x := &tracer{Executor: memexec.New(), reportSums: mode != "read", lie: mode == "lie"}
		_, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 4, MaxSteps: 9 + 9 + 9 + 9 + 9}, x)
		require.NoError(t, err)
		dj := readDownload(t, dir)
		e := dj.ArtifactForCanister(canisterID(t, 3))
		require.NotNil(t, e.Checksum, mode)
		sums[mode] = *e.Checksum
		if mode == "read" {
			c, err := checksum.FromPath(context.Background(), filepath.Join(dir, filepath.FromSlash(*e.TempPath)))
			require.NoError(t, err)
			assert.Equal(t, c.Hash, *e.Checksum)
		}
	}
	assert.Equal(t, sums["read"], sums["reported"])
	assert.NotEqual(t, sums["read"], sums["lie"])
}
