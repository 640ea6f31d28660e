package agent_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestFleetBackupRestore downloads the snapshots of a root and three
// children, changes every canister, and restores each through
// UploadSnapshot + LoadSnapshot: sim_digest comes back.
func TestFleetBackupRestore(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: fleet4()})
	fleetRoundTrip(t, s, newExecutor(t, s))
}

// TestPluginFleetBackupRestore is TestFleetBackupRestore through a real
// plugin subprocess (pluginapi.Serve / pluginapi.NewClient).
func TestPluginFleetBackupRestore(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: fleet4()})
	c := pluginClient(t, s)
	info, err := c.Info(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, "agent", info.Name)
	assert.True(t, info.Has(pluginapi.CapabilityResumeDownload) && info.Has(pluginapi.CapabilityUpload) &&
		info.Has(pluginapi.CapabilityRegistry) && info.Has(pluginapi.CapabilityPreflight))
	fleetRoundTrip(t, s, c)
}

// fleetRoundTrip exercises every executor method on a root + 3 children
// fleet; it is written against pluginapi.Executor so the integration
// engineer can reuse it.
func fleetRoundTrip(t *testing.T, s *sim.Simulator, e pluginapi.Executor) {
	ctx := ctxT(t)
	cans := s.Canisters()
	require.Len(t, cans, 4)

	entries, err := e.QueryRegistry(ctx, "local", s.RootCanister().String())
	require.NoError(t, err)
	var pids []string
	for _, x := range entries {
		pids = append(pids, x.PID)
		assert.NotEmpty(t, x.Role)
		if x.PID != s.RootCanister().String() {
			assert.Equal(t, s.RootCanister().String(), x.ParentPID)
		}
	}
	assert.ElementsMatch(t, texts(cans), pids, "the registry lists the whole fleet")
	assert.Positive(t, s.Counters().Calls["canic_subnet_registry"], "the registry is read through a certified update call")
	assert.Zero(t, s.Counters().Queries["canic_subnet_registry"], "never through an unverified query")

	rep, err := e.Preflight(ctx, pluginapi.PreflightRequest{Network: "local", Root: s.RootCanister().String(), CanisterIDs: texts(cans)})
	require.NoError(t, err)
	require.Len(t, rep.Targets, 4)
	for _, pt := range rep.Targets {
		assert.Nil(t, pt.Err)
		assert.Equal(t, pluginapi.StatusRunning, pt.Status)
		assert.True(t, pt.IdentityIsController, pt.CanisterID)
		assert.NotEmpty(t, pt.ModuleHash)
	}

	type saved struct {
		dir, digest, snap string
	}
	backups := map[string]saved{}
	for _, c := range cans {
		tg := target(c)
		_, err := e.CreateSnapshot(ctx, tg)
		require.ErrorIs(t, err, pluginapi.CodeNotStopped, "a running canister is not snapshotted")
		require.NoError(t, e.StopCanister(ctx, tg))
		snap, err := e.CreateSnapshot(ctx, tg)
		require.NoError(t, err)
		dir := filepath.Join(t.TempDir(), "snap")
		var last pluginapi.Progress
		res, err := e.DownloadSnapshot(ctx, tg, snap.ID, dir, func(p pluginapi.Progress) { last = p })
		require.NoError(t, err)
		assert.Equal(t, res.Bytes, last.BytesDone)
		assert.NoFileExists(t, filepath.Join(dir, ".canic_download_progress.json"), "the resume record is removed when done")
		backups[c.String()] = saved{dir, digest(t, s, c), snap.ID}
		require.NoError(t, e.StartCanister(ctx, tg))
		mutate(t, s, c, 42)
		require.NotEqual(t, backups[c.String()].digest, digest(t, s, c))
	}
	for _, c := range cans {
		tg := target(c)
		b := backups[c.String()]
		require.NoError(t, e.StopCanister(ctx, tg))
		up, err := e.UploadSnapshot(ctx, tg, b.dir, nil)
		require.NoError(t, err)
		assert.NotEqual(t, b.snap, up.SnapshotID)
		require.NoError(t, e.LoadSnapshot(ctx, tg, up.SnapshotID))
		require.NoError(t, e.StartCanister(ctx, tg))
		assert.Equal(t, b.digest, digest(t, s, c), "restoring %s brings sim_digest back", c)
		st, err := e.CanisterStatus(ctx, tg)
		require.NoError(t, err)
		assert.Equal(t, pluginapi.StatusRunning, st.Status)
		require.NoError(t, e.DeleteSnapshot(ctx, tg, up.SnapshotID))
		assert.ErrorIs(t, e.DeleteSnapshot(ctx, tg, up.SnapshotID), pluginapi.CodeNotFound)
		list, err := e.ListSnapshots(ctx, tg)
		require.NoError(t, err)
		assert.Equal(t, []string{b.snap}, ids(list))
	}
	c := s.Counters()
	assert.Positive(t, c.Endpoints["v4/call"], "calls use the v4 endpoint")
	assert.Zero(t, c.Endpoints["v2/call"], "neither the executor nor the test's own client (simtest) falls back to v2")
	assert.GreaterOrEqual(t, len(s.Info().Subnets), 3, "the mainnet shape: NNS plus application subnets")
}

// TestErrorCodes checks not-found, invalid-argument and unauthorized.
func TestErrorCodes(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	e := newExecutor(t, s)
	ctx := ctxT(t)
	missing := target(principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x99, 0x99, 0x99, 1, 1}})
	_, err := e.CanisterStatus(ctx, missing)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound)
	_, err = e.QueryRegistry(ctx, "local", missing.CanisterID)
	assert.ErrorIs(t, err, pluginapi.CodeNotFound)
	_, err = e.QueryRegistry(ctx, "local", s.Canisters()[1].String())
	assert.ErrorIs(t, err, pluginapi.CodeNotFound, "a non-root has no registry")
	_, err = e.CanisterStatus(ctx, pluginapi.Target{})
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument)
	tg := target(s.Canisters()[1])
	assert.ErrorIs(t, e.DeleteSnapshot(ctx, tg, "zz"), pluginapi.CodeInvalidArgument)
	assert.ErrorIs(t, e.DeleteSnapshot(ctx, tg, "00000000000000ff00"), pluginapi.CodeNotFound)
	_, err = e.UploadSnapshot(ctx, tg, t.TempDir(), nil)
	assert.ErrorIs(t, err, pluginapi.CodeInvalidArgument)
	assert.ErrorContains(t, err, "metadata.json")

	set := simSettings(s)
	set.IdentityPEM = ""
	anon, err := newWith(t, set)
	require.NoError(t, err)
	assert.ErrorIs(t, anon.StopCanister(ctx, tg), pluginapi.CodeUnauthorized)
	_, err = anon.CreateSnapshot(ctx, tg)
	assert.ErrorIs(t, err, pluginapi.CodeUnauthorized)

	other := simtest.Start(t, sim.Options{})
	set = simSettings(s)
	set.RootKey = other.RootKeyHex()
	wrong, err := newWith(t, set)
	require.NoError(t, err)
	_, err = wrong.CanisterStatus(ctx, tg)
	require.Error(t, err, "a certificate signed by another key is refused")
	assert.ErrorContains(t, err, "certificate")
	assert.Equal(t, "running", func() string { st, _ := s.Replica().Status(tg2raw(tg)); return st }())
}

func tg2raw(t pluginapi.Target) []byte { return principal.MustDecode(t.CanisterID).Raw }

func texts(ps []principal.Principal) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func ids(snaps []pluginapi.SnapshotInfo) []string {
	out := []string{}
	for _, s := range snaps {
		out = append(out, s.ID)
	}
	return out
}

func fileSize(t testing.TB, p string) int64 {
	st, err := os.Stat(p)
	require.NoError(t, err)
	return st.Size()
}
