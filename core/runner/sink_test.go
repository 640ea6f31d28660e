package runner_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// memSink is an in-memory runner.ArtifactSink: rel -> file rel -> bytes.
type memSink struct {
	mu        sync.Mutex
	artifacts map[string]map[string][]byte
	puts      []string
	// failPuts makes the next failPuts Puts fail.
	failPuts int
	// onPut, when set, is called at the start of every Put.
	onPut func(rel, dir string)
}

func newMemSink() *memSink { return &memSink{artifacts: map[string]map[string][]byte{}} }

func (s *memSink) String() string { return "mem://sink" }

var errSinkDown = errors.New("sink is down")

func (s *memSink) Put(ctx context.Context, rel, dir, sum string) error {
	if s.onPut != nil {
		s.onPut(rel, dir)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts = append(s.puts, rel)
	if s.failPuts > 0 {
		s.failPuts--
		return errSinkDown
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(r)] = b
		return err
	})
	if err != nil {
		return err
	}
	if got := digest(files); got != sum {
		return errors.New("checksum " + got + " is not " + sum)
	}
	s.artifacts[rel] = files
	return nil
}

func (s *memSink) Has(ctx context.Context, rel, sum string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	files, ok := s.artifacts[rel]
	return ok && digest(files) == sum, nil
}

func (s *memSink) drop(rel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.artifacts, rel)
}

func digest(files map[string][]byte) string {
	var d []checksum.FileDigest
	for rel, b := range files {
		h := sha256.Sum256(b)
		d = append(d, checksum.FileDigest{Rel: rel, SHA256: hex.EncodeToString(h[:])})
	}
	return checksum.FromFileDigests(d).Hash
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// requireGoldenDocuments checks a sink run's documents: plan, execution
// journal and manifest as 0.35.1 wrote them, the download journal as a
// run without a sink writes it (its step counters aside when reexecuted
// says a verify ran twice), and no artifact left in the directory.
func requireGoldenDocuments(t *testing.T, dir string, reexecuted bool) {
	t.Helper()
	for _, name := range []string{runner.PlanFile, runner.ExecutionJournalFile, runner.ManifestFile} {
		assert.Equal(t, string(golden.Read(t, "backup/"+name)), readFile(t, filepath.Join(dir, name)), name)
	}
	plain := goldenDir(t)
	_, err := runner.Run(context.Background(), goldenConfig(plain), goldenExecutor())
	require.NoError(t, err)
	want, got := readDownload(t, plain), readDownload(t, dir)
	if reexecuted {
		assert.Equal(t, want.OperationMetrics.ChecksumVerifyCompleted+1, got.OperationMetrics.ChecksumVerifyCompleted)
		got.OperationMetrics = want.OperationMetrics
	}
	assert.Equal(t, marshal(t, want), marshal(t, got))
	assert.ElementsMatch(t, []string{runner.PlanFile, runner.ExecutionJournalFile, runner.DownloadJournalFile, runner.ManifestFile},
		entries(t, dir), "no artifact and no temp directory stays in the backup directory")
}

// TestSinkRunKeepsNoArtifactLocally: with a sink every artifact goes to it
// from its temp directory, which is removed; the documents are byte for
// byte those of a run without a sink.
func TestSinkRunKeepsNoArtifactLocally(t *testing.T) {
	dir := goldenDir(t)
	sink := newMemSink()
	cfg := goldenConfig(dir)
	cfg.Sink = sink
	resp, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.EqualValues(t, 16, resp.ExecutedOperationCount)
	requireGoldenDocuments(t, dir, false)

	assert.Equal(t, []string{rootID, appID, hubID}, sink.puts, "one Put per artifact")
	for _, id := range []string{rootID, appID, hubID} {
		want := filepath.Join(t.TempDir(), id)
		require.NoError(t, memexec.WriteArtifact(want, id))
		got := sink.artifacts[id]
		require.Len(t, got, 4)
		for rel, b := range got {
			assert.Equal(t, readFile(t, filepath.Join(want, rel)), string(b), "%s/%s", id, rel)
		}
	}
}

// TestSinkFailureFailsVerifyAndRetryCompletes: a failing Put fails the
// verify-artifact operation like an executor failure (journalled, run
// stopped, temp directory kept); a plain resume refuses, --retry-failed
// completes.
func TestSinkFailureFailsVerifyAndRetryCompletes(t *testing.T) {
	dir := goldenDir(t)
	sink := newMemSink()
	sink.failPuts = 1
	cfg := goldenConfig(dir)
	cfg.Sink = sink
	exec := goldenExecutor()
	_, err := runner.Run(context.Background(), cfg, exec)
	var cf *runner.CommandFailedError
	require.ErrorAs(t, err, &cf)
	require.ErrorIs(t, err, errSinkDown)
	assert.Equal(t, runner.SinkStatus, cf.Status)
	assert.Contains(t, err.Error(), "mem://sink")
	op := readExecution(t, dir).Operation(cf.Sequence)
	require.NotNil(t, op)
	assert.Equal(t, journal.StateFailed, op.State)
	assert.Equal(t, "VerifyArtifact", op.Kind.DebugName())
	assert.DirExists(t, filepath.Join(dir, rootID+".tmp"), "a failed Put keeps the temp directory")
	assert.Empty(t, exec.Stopped())

	_, err = runner.Run(context.Background(), cfg, exec)
	var fo *runner.FailedOperationError
	require.ErrorAs(t, err, &fo)

	cfg.RetryFailed = true
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Equal(t, string(golden.Read(t, "backup/"+runner.ManifestFile)), readFile(t, filepath.Join(dir, runner.ManifestFile)))
	assert.NoDirExists(t, filepath.Join(dir, rootID+".tmp"))
	assert.Len(t, sink.artifacts, 3)
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
}

// TestSinkResumeAfterCrashAroundPut: a run that died after the sink got
// the root's artifact but before the verify-artifact receipt was
// persisted (with the temp directory already removed, or still there)
// re-executes the verify and completes with the same documents; an
// artifact the sink lost meanwhile is refused with ErrNotInSink.
func TestSinkResumeAfterCrashAroundPut(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keepTemp bool
		lost     bool
	}{
		{name: "temp removed", keepTemp: false},
		{name: "temp still there", keepTemp: true},
		{name: "sink lost it", lost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := goldenDir(t)
			sink := newMemSink()
			cfg := goldenConfig(dir)
			cfg.Sink = sink
			cfg.MaxSteps = 10 // through the root's download
			exec := goldenExecutor()
			_, err := runner.Run(context.Background(), cfg, exec)
			require.NoError(t, err)
			before := readFile(t, filepath.Join(dir, runner.ExecutionJournalFile))
			saved := filepath.Join(t.TempDir(), "temp")
			copyTree(t, filepath.Join(dir, rootID+".tmp"), saved)

			cfg.MaxSteps = 1 // the root's verify-artifact
			_, err = runner.Run(context.Background(), cfg, exec)
			require.NoError(t, err)
			assert.NoDirExists(t, filepath.Join(dir, rootID+".tmp"))
			require.Contains(t, sink.artifacts, rootID)
			// The crash: the receipt never reached the execution journal.
			writeFile(t, filepath.Join(dir, runner.ExecutionJournalFile), []byte(before))
			if tc.keepTemp {
				copyTree(t, saved, filepath.Join(dir, rootID+".tmp"))
			}
			if tc.lost {
				sink.drop(rootID)
			}

			cfg.MaxSteps = 0
			resp, err := runner.Run(context.Background(), cfg, exec)
			if tc.lost {
				require.ErrorIs(t, err, runner.ErrNotInSink)
				assert.Contains(t, err.Error(), "mem://sink")
				assert.Contains(t, err.Error(), rootID)
				return
			}
			require.NoError(t, err)
			assert.True(t, resp.Complete)
			requireGoldenDocuments(t, dir, true)
		})
	}
}

// TestSinkFinalizePutsArtifactsLeftLocally: a run that verified its
// artifacts without a sink (they stay in their temp directories) is
// finalized with one: finalize puts each to the sink and removes it.
func TestSinkFinalizePutsArtifactsLeftLocally(t *testing.T) {
	dir := goldenDir(t)
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 15 // everything but finalize-manifest
	_, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	sink := newMemSink()
	cfg.Sink, cfg.MaxSteps = sink, 0
	resp, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Len(t, sink.artifacts, 3)
	assert.Equal(t, string(golden.Read(t, "backup/"+runner.ManifestFile)), readFile(t, filepath.Join(dir, runner.ManifestFile)))
	for _, id := range []string{rootID, appID, hubID} {
		assert.NoDirExists(t, filepath.Join(dir, id+".tmp"))
		assert.NoDirExists(t, filepath.Join(dir, id))
	}

	// Without the artifact in the sink nor locally, finalize says so.
	dir = goldenDir(t)
	cfg = goldenConfig(dir)
	cfg.MaxSteps = 15
	_, err = runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, appID+".tmp")))
	cfg.Sink, cfg.MaxSteps = newMemSink(), 0
	_, err = runner.Run(context.Background(), cfg, goldenExecutor())
	require.ErrorIs(t, err, runner.ErrNotInSink)
	assert.Contains(t, err.Error(), appID)
	assert.NoFileExists(t, filepath.Join(dir, runner.ManifestFile))
}

// TestSinkBoundsLocalArtifacts: with a sink the backup directory never
// holds more artifact directories than the download concurrency (9
// targets, 2 at a time, downloads slower than the sink); without one all
// 9 stay.
func TestSinkBoundsLocalArtifacts(t *testing.T) {
	f, ents := newFleet(t)
	dir := fleetDir(t, ents, f.root)
	sink := newMemSink()
	var mu sync.Mutex
	peak := 0
	countDirs := func() {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, e := range entries(t, dir) {
			if info, err := os.Stat(filepath.Join(dir, e)); err == nil && info.IsDir() {
				n++
			}
		}
		peak = max(peak, n)
	}
	sink.onPut = func(string, string) { countDirs(); time.Sleep(2 * time.Millisecond) }
	x := &tracer{Executor: memexec.New(), latency: 3 * time.Millisecond}
	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 2, Sink: sink}, x)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	assert.Len(t, sink.artifacts, 9)
	assert.Equal(t, 2, peak, "artifact directories on disk at once")
	countDirs()
	assert.Equal(t, 2, peak, "none left at the end")

	plain := fleetDir(t, ents, f.root)
	_, err = runner.Run(context.Background(), runner.Config{Dir: plain, Concurrency: 2}, &tracer{Executor: memexec.New()})
	require.NoError(t, err)
	dirs := 0
	for _, e := range entries(t, plain) {
		if info, err := os.Stat(filepath.Join(plain, e)); err == nil && info.IsDir() {
			dirs++
		}
	}
	assert.Equal(t, 9, dirs, "without a sink every artifact stays")
}
