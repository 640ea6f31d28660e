package dfx_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// fleet is a root and three children of 1 MiB each.
func fleet() sim.Options {
	return sim.Options{Fleet: sim.Fleet{Name: "dfx", Children: 3, Depth: 1, Size: 1 << 20, Seed: 3}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func sha(t *testing.T, paths ...string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestICPExecutorBackupAndRestoreFleet drives the real icp 1.5.0 binary
// against the simulator through every executor method: preflight, registry,
// then for the root and its 3 children in parallel (at most 2 icp
// processes at once) status, stop, snapshot create/list, download (bytes
// equal to the simulator's), a state change, upload + load (the digest
// comes back), delete and start.
func TestICPExecutorBackupAndRestoreFleet(t *testing.T) {
	s := simtest.Start(t, fleet())
	settings := dfxtest.Settings(t, s)
	settings.Concurrency = 2
	var running, peak atomic.Int32
	var cmdMu sync.Mutex
	var commands []string
	e := dfxtest.New(t, settings, dfx.WithObserver(func(ev dfx.CommandEvent) {
		if ev.Done {
			running.Add(-1)
			return
		}
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		cmdMu.Lock()
		commands = append(commands, ev.Command)
		cmdMu.Unlock()
	}))
	ctx := ctxT(t)
	rep := s.Replica()
	ids := []string{}
	for _, c := range s.Canisters() {
		ids = append(ids, c.String())
	}
	require.Len(t, ids, 4)
	root := s.RootCanister().String()

	info, err := e.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, "icp", info.Name)
	assert.True(t, info.Has(pluginapi.CapabilityUpload))

	entries, err := e.QueryRegistry(ctx, "", root)
	require.NoError(t, err)
	var pids []string
	for _, en := range entries {
		pids = append(pids, en.PID)
	}
	assert.ElementsMatch(t, ids, pids, "the registry lists root and children")

	missing := "lqy7q-dh777-77777-aaaaq-cai"
	pre, err := e.Preflight(ctx, pluginapi.PreflightRequest{Root: root, CanisterIDs: append(append([]string{}, ids...), missing)})
	require.NoError(t, err)
	assert.Equal(t, s.Info().ControllerPrincipal, pre.Identity)
	require.Len(t, pre.Targets, 5)
	for _, pt := range pre.Targets[:4] {
		assert.Nil(t, pt.Err, pt.CanisterID)
		assert.Equal(t, pluginapi.StatusRunning, pt.Status)
		assert.True(t, pt.IdentityIsController, pt.CanisterID)
		assert.Len(t, pt.ModuleHash, 64)
	}
	require.NotNil(t, pre.Targets[4].Err)
	assert.ErrorIs(t, pre.Targets[4].Err, pluginapi.CodeNotFound)

	base := t.TempDir()
	var wg sync.WaitGroup
	for i, c := range s.Canisters() {
		a := simtest.Agent(t, s, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tg := pluginapi.Target{CanisterID: c.String()}
			dir := filepath.Join(base, c.String())

			st, err := e.CanisterStatus(ctx, tg)
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, pluginapi.StatusRunning, st.Status)
			_, err = e.CreateSnapshot(ctx, tg)
			assert.ErrorIs(t, err, pluginapi.CodeNotStopped, "snapshot of a running canister")

			if !assert.NoError(t, e.StopCanister(ctx, tg)) {
				return
			}
			snap, err := e.CreateSnapshot(ctx, tg)
			if !assert.NoError(t, err) {
				return
			}
			assert.NotZero(t, snap.TakenAtNanos)
			list, err := e.ListSnapshots(ctx, tg)
			assert.NoError(t, err)
			assert.Len(t, list, 1)
			var events []pluginapi.Progress
			res, err := e.DownloadSnapshot(ctx, tg, snap.ID, dir, func(p pluginapi.Progress) { events = append(events, p) })
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, snap.ID, res.SnapshotID)
			assert.Zero(t, res.ResumedBytes)
			if assert.NotEmpty(t, events) {
				assert.Equal(t, pluginapi.Progress{BytesDone: res.Bytes, BytesTotal: res.Bytes}, events[len(events)-1])
			}
			want, _ := rep.Digest(c.Raw)
			assert.Equal(t, want, sha(t, filepath.Join(dir, "wasm_memory.bin"), filepath.Join(dir, "stable_memory.bin")),
				"downloaded memories equal the simulator's bytes")
			mh, _ := rep.ModuleHash(c.Raw)
			assert.Equal(t, hex.EncodeToString(mh), sha(t, filepath.Join(dir, "wasm_module.bin")))
			assert.NoFileExists(t, filepath.Join(dir, ".lock"), "icp's lock file is not part of the layout")

			// change the state, then restore it from the uploaded copy
			assert.NoError(t, e.StartCanister(ctx, tg))
			assert.NoError(t, a.Call(c, "sim_mutate", []any{uint64(i + 1)}, []any{}))
			changed, _ := rep.Digest(c.Raw)
			assert.NotEqual(t, want, changed)
			assert.NoError(t, e.StopCanister(ctx, tg))

			up, err := e.UploadSnapshot(ctx, tg, dir, nil)
			if !assert.NoError(t, err) {
				return
			}
			assert.NotEqual(t, snap.ID, up.SnapshotID)
			assert.NoError(t, e.LoadSnapshot(ctx, tg, up.SnapshotID))
			restored, _ := rep.Digest(c.Raw)
			assert.Equal(t, want, restored, "upload + load brings the digest back")

			assert.NoError(t, e.DeleteSnapshot(ctx, tg, snap.ID))
			assert.ErrorIs(t, e.DeleteSnapshot(ctx, tg, snap.ID), pluginapi.CodeNotFound)
			assert.NoError(t, e.DeleteSnapshot(ctx, tg, up.SnapshotID))
			assert.NoError(t, e.StartCanister(ctx, tg))
			st, err = e.CanisterStatus(ctx, tg)
			assert.NoError(t, err)
			assert.Equal(t, pluginapi.StatusRunning, st.Status)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(2), peak.Load(), "independent canisters ran in parallel, bounded by concurrency 2")
	cmdMu.Lock()
	defer cmdMu.Unlock()
	for _, c := range commands {
		assert.NotContains(t, c, "PRIVATE KEY")
		if strings.Contains(c, " canister ") {
			assert.Contains(t, c, "-n "+s.URL()+" -k ", "network flags follow the subcommand")
		}
	}
	c := s.Counters()
	assert.Equal(t, uint64(4), c.Calls["load_canister_snapshot"])
}

// TestICPExecutorFailuresNameTheCommand checks that icp failures surface
// as one clear *pluginapi.Error with the right code naming the command,
// its exit status and icp's first stderr lines: a non-controller identity,
// a missing canister, a wrong argument, and a stopped simulator.
func TestICPExecutorFailuresNameTheCommand(t *testing.T) {
	s := simtest.Start(t, fleet())
	ctx := ctxT(t)
	cid := s.Canisters()[1].String()

	stranger := dfxtest.Settings(t, s)
	stranger.IdentityPEM = dfxtest.StrangerPEM(t)
	se := dfxtest.New(t, stranger)
	err := se.StopCanister(ctx, pluginapi.Target{CanisterID: cid})
	require.ErrorIs(t, err, pluginapi.CodeUnauthorized)
	msg := err.Error()
	assert.Contains(t, msg, "stop canister "+cid)
	assert.Contains(t, msg, "canister stop "+cid)
	assert.Contains(t, msg, "exited with status 1")
	assert.Contains(t, msg, "Only the controllers of the canister "+cid)
	assert.NotContains(t, msg, stranger.IdentityPEM, "the key file is not mentioned by stop")
	st, _ := s.Replica().Status(s.Canisters()[1].Raw)
	assert.Equal(t, "running", st)

	e := dfxtest.New(t, dfxtest.Settings(t, s))
	_, err = e.CanisterStatus(ctx, pluginapi.Target{CanisterID: "lqy7q-dh777-77777-aaaaq-cai"})
	assert.ErrorIs(t, err, pluginapi.CodeNotFound)
	_, err = e.CanisterStatus(ctx, pluginapi.Target{CanisterID: "not a principal"})
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument)
	_, err = e.QueryRegistry(ctx, "", cid)
	assert.Error(t, err, "a child has no registry")
	_, err = e.UploadSnapshot(ctx, pluginapi.Target{CanisterID: cid}, t.TempDir(), nil)
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument)

	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Close(closeCtx))
	_, err = e.CanisterStatus(ctx, pluginapi.Target{CanisterID: cid})
	require.ErrorIs(t, err, pluginapi.CodeTransient, "a stopped simulator is worth retrying")
	var pe *pluginapi.Error
	require.ErrorAs(t, err, &pe)
	assert.Regexp(t, `^status of canister `+cid+`: command `+"`"+`\S+ canister status `+cid+` --json -n http://127\.0\.0\.1:\d+ -k 30818230…\w+ --identity canic-backup`+"`"+` exited with status 1: Error: .*error sending request`, pe.Message)
	t.Logf("stopped simulator: %s", pe.Message)
}
