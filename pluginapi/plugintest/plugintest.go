// Package plugintest is the conformance suite for canic-backup executor
// plugins. A plugin author starts their binary with pluginapi.NewClient and
// runs the suite against it:
//
//	func TestConformance(t *testing.T) {
//		client, _ := pluginapi.NewClient(pluginapi.ClientConfig{Name: "mine", Cmd: exec.Command(bin)})
//		defer client.Close()
//		plugintest.Run(t, plugintest.Config{Executor: client, Network: "local", Root: ..., Canister: ..., Missing: ...})
//	}
//
// The suite checks every method's contract and error codes, that a
// cancelled call returns promptly with context.Canceled, and that a download
// interrupted half-way resumes from what the directory holds and ends with
// the same files as an uninterrupted one.
//
// An uploaded snapshot is compared with the original as the IC defines the
// round trip: the data files (wasm_module.bin, wasm_memory.bin,
// stable_memory.bin, wasm_chunk_store/*) must be byte-identical and
// metadata.json must be semantically equal (as JSON values, ignoring
// formatting) except for two fields the IC sets on upload: "source", which
// becomes {"metadata_upload": null} instead of {"taken_from_canister": null},
// and "taken_at_timestamp", the upload's time. The suite also checks that
// UploadSnapshot only reads its directory: the files in it are unchanged
// and no file is added (resume records belong elsewhere).
package plugintest

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Config describes the plugin under test and the fixture it serves.
type Config struct {
	// Executor is the plugin under test, normally a *pluginapi.Client.
	Executor pluginapi.Executor
	// Network is passed in every Target.
	Network string
	// Root is a canic root canister whose registry lists Canister.
	Root string
	// Canister is a running, non-empty canister the executor's identity
	// controls. The suite stops it, snapshots, downloads, uploads, loads and
	// deletes, and starts it again. Its snapshot must be large enough for
	// DownloadSnapshot to report progress at least twice.
	Canister string
	// Foreign, if set, is an existing canister the identity does not
	// control; mutating it must fail with CodeUnauthorized.
	Foreign string
	// Missing is a canister id that does not exist.
	Missing string
	// CallTimeout bounds every call; 0 means 30 seconds.
	CallTimeout time.Duration
	// RequirePreflightDetail requires Preflight's targets to carry their
	// full status (PreflightTarget.Detail), as the built-in drivers do; a
	// plugin built before the field is still accepted without it.
	RequirePreflightDetail bool
	// Cancelled, if set, is asked after a cancelled DownloadSnapshot whether
	// the plugin observed the cancellation (e.g. from its own call log).
	Cancelled func(t *testing.T) bool
}

// Run runs the conformance suite as subtests of t. The subtests share the
// fixture and run in order.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	require.NotNil(t, cfg.Executor, "plugintest: Config.Executor is nil")
	require.NotEmpty(t, cfg.Canister, "plugintest: Config.Canister is empty")
	require.NotEmpty(t, cfg.Missing, "plugintest: Config.Missing is empty")
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	s := &suite{cfg: cfg, target: pluginapi.Target{Network: cfg.Network, CanisterID: cfg.Canister}}
	t.Run("Info", s.info)
	t.Run("QueryRegistry", s.registry)
	t.Run("Preflight", s.preflight)
	t.Run("NotFound", s.notFound)
	t.Run("InvalidArgument", s.invalidArgument)
	if cfg.Foreign != "" {
		t.Run("Unauthorized", s.unauthorized)
	}
	t.Run("Lifecycle", s.lifecycle)
}

type suite struct {
	cfg    Config
	target pluginapi.Target
	caps   pluginapi.Info
}

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CallTimeout)
	t.Cleanup(cancel)
	return ctx
}

func (s *suite) other(id string) pluginapi.Target {
	return pluginapi.Target{Network: s.cfg.Network, CanisterID: id}
}

func (s *suite) info(t *testing.T) {
	info, err := s.cfg.Executor.Info(s.ctx(t))
	require.NoError(t, err)
	assert.NotEmpty(t, info.Name, "Info.Name")
	assert.NotEmpty(t, info.Version, "Info.Version")
	assert.Equal(t, pluginapi.ProtocolVersion, info.ProtocolVersion, "Info.ProtocolVersion")
	assert.NotNil(t, info.Capabilities, "Info.Capabilities must be a list, not nil")
	s.caps = info
}

func (s *suite) registry(t *testing.T) {
	if !s.caps.Has(pluginapi.CapabilityRegistry) {
		_, err := s.cfg.Executor.QueryRegistry(s.ctx(t), s.cfg.Network, s.cfg.Root)
		require.Error(t, err, "QueryRegistry without the registry capability must fail")
		return
	}
	entries, err := s.cfg.Executor.QueryRegistry(s.ctx(t), s.cfg.Network, s.cfg.Root)
	require.NoError(t, err)
	var pids []string
	for _, e := range entries {
		assert.NotEmpty(t, e.PID)
		assert.NotEmpty(t, e.Role, "registry entry %s has no role", e.PID)
		pids = append(pids, e.PID)
	}
	assert.Contains(t, pids, s.cfg.Canister, "the registry of %s lists the test canister", s.cfg.Root)

	_, err = s.cfg.Executor.QueryRegistry(s.ctx(t), s.cfg.Network, s.cfg.Missing)
	require.Error(t, err)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "QueryRegistry of a missing root")
}

func (s *suite) preflight(t *testing.T) {
	if !s.caps.Has(pluginapi.CapabilityPreflight) {
		return
	}
	rep, err := s.cfg.Executor.Preflight(s.ctx(t), pluginapi.PreflightRequest{
		Network: s.cfg.Network, Root: s.cfg.Root, CanisterIDs: []string{s.cfg.Canister, s.cfg.Missing},
	})
	require.NoError(t, err, "a missing target is reported per target, not as the call's error")
	assert.NotEmpty(t, rep.Identity, "PreflightReport.Identity")
	require.Len(t, rep.Targets, 2, "one evidence entry per requested target")
	ok, missing := rep.Targets[0], rep.Targets[1]
	assert.Equal(t, s.cfg.Canister, ok.CanisterID)
	assert.Nil(t, ok.Err)
	assert.Equal(t, pluginapi.StatusRunning, ok.Status)
	assert.True(t, ok.IdentityIsController, "the identity controls the test canister")
	assert.Contains(t, ok.Controllers, rep.Identity)
	assert.Equal(t, s.cfg.Missing, missing.CanisterID)
	require.NotNil(t, missing.Err, "a missing target carries an error")
	assert.ErrorIs(t, missing.Err, pluginapi.CodeNotFound)
	assert.Nil(t, missing.Detail, "a target that cannot be read has no status detail")
	// The engine's preflight reads balances from Detail: it must be the
	// target's CanisterStatus (pluginapi.PreflightByStatus gives it). A
	// plugin that leaves it nil is checked by the host, status by status.
	if ok.Detail != nil {
		st, err := s.cfg.Executor.CanisterStatus(s.ctx(t), s.target)
		require.NoError(t, err)
		assert.Equal(t, ok.Status, ok.Detail.Status, "Detail.Status is the target's Status")
		assert.Equal(t, st.Status, ok.Detail.Status, "Detail is what CanisterStatus reports")
		assert.Equal(t, st.ModuleHash, ok.Detail.ModuleHash)
		assert.Equal(t, st.Controllers, ok.Detail.Controllers)
		assert.Equal(t, st.MemorySize, ok.Detail.MemorySize)
		assert.Equal(t, st.Cycles != nil, ok.Detail.Cycles != nil, "Detail carries a balance exactly when CanisterStatus does")
	} else {
		assert.False(t, s.cfg.RequirePreflightDetail, "PreflightTarget.Detail is required of this executor")
	}
}

func (s *suite) notFound(t *testing.T) {
	m := s.other(s.cfg.Missing)
	ex := s.cfg.Executor
	_, err := ex.CanisterStatus(s.ctx(t), m)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "CanisterStatus of a missing canister")
	assert.ErrorIs(t, ex.StopCanister(s.ctx(t), m), pluginapi.CodeNotFound, "StopCanister of a missing canister")
	assert.ErrorIs(t, ex.StartCanister(s.ctx(t), m), pluginapi.CodeNotFound, "StartCanister of a missing canister")
	_, err = ex.CreateSnapshot(s.ctx(t), m)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "CreateSnapshot of a missing canister")
	_, err = ex.ListSnapshots(s.ctx(t), m)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "ListSnapshots of a missing canister")
	unknown := unknownSnapshotID(s.cfg.Canister)
	assert.ErrorIs(t, ex.DeleteSnapshot(s.ctx(t), s.target, unknown), pluginapi.CodeNotFound, "DeleteSnapshot of an unknown snapshot")
	assert.ErrorIs(t, ex.LoadSnapshot(s.ctx(t), s.target, unknown), pluginapi.CodeNotFound, "LoadSnapshot of an unknown snapshot")
	_, err = ex.DownloadSnapshot(s.ctx(t), s.target, unknown, t.TempDir(), nil)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "DownloadSnapshot of an unknown snapshot")
}

func (s *suite) invalidArgument(t *testing.T) {
	ex := s.cfg.Executor
	_, err := ex.CanisterStatus(s.ctx(t), pluginapi.Target{Network: s.cfg.Network})
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument, "CanisterStatus without a canister id")
	assert.ErrorIs(t, ex.DeleteSnapshot(s.ctx(t), s.target, ""), pluginapi.CodeInvalidArgument, "DeleteSnapshot without a snapshot id")
	_, err = ex.DownloadSnapshot(s.ctx(t), s.target, "00", "", nil)
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument, "DownloadSnapshot without a directory")
	if s.caps.Has(pluginapi.CapabilityUpload) {
		_, err = ex.UploadSnapshot(s.ctx(t), s.target, t.TempDir(), nil)
		assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument, "UploadSnapshot of an empty directory")
	}
}

func (s *suite) unauthorized(t *testing.T) {
	f := s.other(s.cfg.Foreign)
	assert.ErrorIs(t, s.cfg.Executor.StopCanister(s.ctx(t), f), pluginapi.CodeUnauthorized, "StopCanister of a canister the identity does not control")
	_, err := s.cfg.Executor.CreateSnapshot(s.ctx(t), f)
	assert.ErrorIs(t, err, pluginapi.CodeUnauthorized, "CreateSnapshot of a canister the identity does not control")
}

// lifecycle walks a backup and a restore of the test canister.
func (s *suite) lifecycle(t *testing.T) {
	ex := s.cfg.Executor
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CallTimeout)
		defer cancel()
		_ = ex.StartCanister(ctx, s.target)
	})

	st, err := ex.CanisterStatus(s.ctx(t), s.target)
	require.NoError(t, err)
	require.Equal(t, pluginapi.StatusRunning, st.Status, "the test canister starts out running")
	assert.NotEmpty(t, st.Controllers)

	_, err = ex.CreateSnapshot(s.ctx(t), s.target)
	require.ErrorIs(t, err, pluginapi.CodeNotStopped, "CreateSnapshot of a running canister")

	require.NoError(t, ex.StopCanister(s.ctx(t), s.target))
	st, err = ex.CanisterStatus(s.ctx(t), s.target)
	require.NoError(t, err)
	require.Equal(t, pluginapi.StatusStopped, st.Status, "status after StopCanister")

	before, err := ex.ListSnapshots(s.ctx(t), s.target)
	require.NoError(t, err)
	snap, err := ex.CreateSnapshot(s.ctx(t), s.target)
	require.NoError(t, err)
	assert.NotEmpty(t, snap.ID)
	assert.NotZero(t, snap.TakenAtNanos, "SnapshotInfo.TakenAtNanos")
	assert.NotZero(t, snap.TotalSize, "SnapshotInfo.TotalSize")
	after, err := ex.ListSnapshots(s.ctx(t), s.target)
	require.NoError(t, err)
	assert.Len(t, after, len(before)+1)
	assert.Contains(t, ids(after), snap.ID, "ListSnapshots lists the new snapshot")

	// A complete download, in the icp directory layout.
	full := t.TempDir()
	var events []pluginapi.Progress
	res, err := ex.DownloadSnapshot(s.ctx(t), s.target, snap.ID, full, func(p pluginapi.Progress) { events = append(events, p) })
	require.NoError(t, err)
	assert.Equal(t, snap.ID, res.SnapshotID)
	assert.Zero(t, res.ResumedBytes, "a download into an empty directory resumes nothing")
	for _, f := range []string{"metadata.json", "wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"} {
		assert.FileExists(t, filepath.Join(full, f))
	}
	require.GreaterOrEqual(t, len(events), 2, "DownloadSnapshot reports progress (the fixture must be large enough)")
	last := events[len(events)-1]
	assert.Equal(t, res.Bytes, last.BytesTotal)
	assert.Equal(t, last.BytesTotal, last.BytesDone, "the last progress event reports completion")
	for i := 1; i < len(events); i++ {
		assert.GreaterOrEqual(t, events[i].BytesDone, events[i-1].BytesDone, "progress never goes back")
	}
	fullFiles := tree(t, full)

	// Cancellation mid-download returns promptly, then the download resumes.
	part := t.TempDir()
	ctx, cancel := context.WithCancel(s.ctx(t))
	var returned time.Time
	var cancelledAt time.Time
	_, err = ex.DownloadSnapshot(ctx, s.target, snap.ID, part, func(p pluginapi.Progress) {
		if cancelledAt.IsZero() && p.BytesDone > 0 {
			cancelledAt = time.Now()
			cancel()
		}
	})
	returned = time.Now()
	cancel()
	require.Error(t, err, "a cancelled download fails")
	assert.ErrorIs(t, err, context.Canceled, "a cancelled download wraps context.Canceled")
	assert.Less(t, returned.Sub(cancelledAt), 5*time.Second, "a cancelled call returns promptly")
	if s.cfg.Cancelled != nil {
		assert.True(t, s.cfg.Cancelled(t), "the plugin observed the cancellation")
	}
	if s.caps.Has(pluginapi.CapabilityResumeDownload) {
		res2, err := ex.DownloadSnapshot(s.ctx(t), s.target, snap.ID, part, nil)
		require.NoError(t, err)
		assert.Positive(t, res2.ResumedBytes, "the second download kept bytes from the first")
		assert.Less(t, res2.ResumedBytes, res2.Bytes, "the first download was interrupted before the end")
		assert.Equal(t, fullFiles, tree(t, part), "a resumed download ends with the same files")
	}

	if s.caps.Has(pluginapi.CapabilityUpload) {
		var upEvents int
		up, err := ex.UploadSnapshot(s.ctx(t), s.target, full, func(pluginapi.Progress) { upEvents++ })
		require.NoError(t, err)
		assert.Equal(t, fullFiles, tree(t, full), "UploadSnapshot leaves its directory unchanged (no added or changed file)")
		require.NotEmpty(t, up.SnapshotID, "UploadSnapshot returns the new snapshot id")
		assert.NotEqual(t, snap.ID, up.SnapshotID)
		listed, err := ex.ListSnapshots(s.ctx(t), s.target)
		require.NoError(t, err)
		assert.Contains(t, ids(listed), up.SnapshotID)

		require.NoError(t, ex.LoadSnapshot(s.ctx(t), s.target, up.SnapshotID))
		back := t.TempDir()
		_, err = ex.DownloadSnapshot(s.ctx(t), s.target, up.SnapshotID, back, nil)
		require.NoError(t, err)
		sameSnapshot(t, fullFiles, tree(t, back))
		require.NoError(t, ex.DeleteSnapshot(s.ctx(t), s.target, up.SnapshotID))
	}

	require.NoError(t, ex.DeleteSnapshot(s.ctx(t), s.target, snap.ID))
	err = ex.DeleteSnapshot(s.ctx(t), s.target, snap.ID)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "deleting a deleted snapshot")
	final, err := ex.ListSnapshots(s.ctx(t), s.target)
	require.NoError(t, err)
	assert.ElementsMatch(t, ids(before), ids(final), "ListSnapshots after deleting what the suite created")

	require.NoError(t, ex.StartCanister(s.ctx(t), s.target))
	st, err = ex.CanisterStatus(s.ctx(t), s.target)
	require.NoError(t, err)
	assert.Equal(t, pluginapi.StatusRunning, st.Status, "status after StartCanister")
}

func ids(snaps []pluginapi.SnapshotInfo) []string {
	out := []string{}
	for _, s := range snaps {
		out = append(out, s.ID)
	}
	return out
}

// tree maps every file under dir (relative path) to its contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	require.NoError(t, err)
	return out
}

// uploadFields are the metadata.json fields the IC sets when a snapshot is
// uploaded rather than taken.
var uploadFields = []string{"source", "taken_at_timestamp"}

// sameSnapshot asserts that got, the files of a downloaded uploaded
// snapshot, hold the snapshot in want (see snapshotDiff).
func sameSnapshot(t *testing.T, want, got map[string]string) {
	t.Helper()
	assert.Empty(t, snapshotDiff(want, got), "an uploaded snapshot downloads to the same data files and equivalent metadata.json")
}

// snapshotDiff lists how got differs from want: a data file missing,
// added or with other bytes, or metadata.json unequal as JSON apart from
// uploadFields ("source" may be the original's or {"metadata_upload":
// null}; "taken_at_timestamp" may differ but not appear or vanish).
func snapshotDiff(want, got map[string]string) []string {
	diffs := []string{}
	for k, v := range want {
		if k == "metadata.json" {
			continue
		}
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, k+" is missing")
		case g != v:
			diffs = append(diffs, fmt.Sprintf("%s differs (%d bytes, want %d)", k, len(g), len(v)))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+" was not in the original")
		}
	}
	wm, err := jsonObject(want["metadata.json"])
	if err != nil {
		return append(diffs, "original metadata.json: "+err.Error())
	}
	gm, err := jsonObject(got["metadata.json"])
	if err != nil {
		return append(diffs, "metadata.json: "+err.Error())
	}
	if src, ok := gm["source"]; ok && !jsonEqual(src, wm["source"]) && !jsonEqual(src, map[string]any{"metadata_upload": nil}) {
		diffs = append(diffs, fmt.Sprintf(`metadata.json "source" is %s, want the original's or {"metadata_upload":null}`, jsonText(src)))
	}
	for _, f := range uploadFields {
		_, inWant := wm[f]
		_, inGot := gm[f]
		if inWant != inGot {
			diffs = append(diffs, fmt.Sprintf("metadata.json field %q present in original %v, in upload %v", f, inWant, inGot))
		}
		delete(wm, f)
		delete(gm, f)
	}
	for k, v := range wm {
		if g, ok := gm[k]; !ok || !jsonEqual(g, v) {
			diffs = append(diffs, fmt.Sprintf("metadata.json field %q is %s, want %s", k, jsonText(g), jsonText(v)))
		}
	}
	for k, g := range gm {
		if _, ok := wm[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("metadata.json field %q (%s) was not in the original", k, jsonText(g)))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// jsonObject decodes a metadata.json document generically (numbers kept
// as their text), for comparison only; documents are never decoded this
// way.
func jsonObject(doc string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	return m, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonEqual(a, b any) bool { return jsonText(a) == jsonText(b) }

// unknownSnapshotID is a well-formed snapshot id of canister that no
// snapshot has: the IC's layout, an 8-byte big-endian local id (here one
// no subnet reaches) followed by the canister id's bytes. A malformed id
// would be refused by the IC as a bad payload, not as an unknown snapshot.
// It falls back to a short id when canister is not a textual principal.
func unknownSnapshotID(canister string) string {
	const local = "7ffffffffffffffe"
	text := strings.ToUpper(strings.ReplaceAll(canister, "-", ""))
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(text)
	if err != nil || len(raw) < 4 {
		return local + "00"
	}
	return local + hex.EncodeToString(raw[4:]) // the first 4 bytes are a CRC32
}
