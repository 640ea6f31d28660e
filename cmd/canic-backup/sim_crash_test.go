package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
)

// simSaves reads the simulator's save counter from its counters endpoint.
func simSaves(t *testing.T, info sim.Info) uint64 {
	t.Helper()
	resp, err := http.Get(info.CountersURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	var c struct {
		Saves uint64 `json:"saves"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	return c.Saves
}

// TestSimStartSurvivesSIGKILL runs `canic-backup sim start --state-dir D`
// as a subprocess, stops a canister and snapshots it through the agent
// executor, SIGKILLs the process (no Close, no final save) and restarts on
// D: the canister is still stopped and the snapshot is still there. With
// --autosave the kill comes once the saves have settled; with --sync-save
// it comes right after the snapshot's reply.
func TestSimStartSurvivesSIGKILL(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		settle bool
	}{
		{"autosave", []string{"--autosave", "100ms"}, true},
		{"sync-save", []string{"--autosave", "0", "--sync-save"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			info, kill := startSimProcess(t, dir, c.args...)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e, err := agent.New(ctx, agent.Settings{URL: info.URL, RootKey: info.RootKeyHex, IdentityPEM: info.ControllerPEM}, nil)
			require.NoError(t, err)
			tg := pluginapi.Target{CanisterID: info.CanisterIDs[1]}
			require.NoError(t, e.StopCanister(ctx, tg))
			snap, err := e.CreateSnapshot(ctx, tg)
			require.NoError(t, err)
			if c.settle {
				// Saves follow changes within the interval (or four times a
				// save's duration); wait until none has come for a second.
				last, since, deadline := simSaves(t, info), time.Now(), time.Now().Add(20*time.Second)
				for time.Since(since) < time.Second {
					require.True(t, time.Now().Before(deadline), "autosave never settled")
					time.Sleep(50 * time.Millisecond)
					if n := simSaves(t, info); n != last {
						last, since = n, time.Now()
					}
				}
			}
			kill()

			s, err := sim.Start(ctx, sim.Options{StateDir: dir})
			require.NoError(t, err)
			defer func() { assert.NoError(t, s.Close(ctx)) }()
			e2, err := agent.New(ctx, agent.Settings{URL: s.URL(), RootKey: s.RootKeyHex(), IdentityPEM: s.ControllerPEMPath()}, nil)
			require.NoError(t, err)
			st, err := e2.CanisterStatus(ctx, tg)
			require.NoError(t, err)
			assert.Equal(t, pluginapi.StatusStopped, st.Status, "the stop survived SIGKILL")
			list, err := e2.ListSnapshots(ctx, tg)
			require.NoError(t, err)
			require.Len(t, list, 1, "the snapshot survived SIGKILL")
			assert.Equal(t, snap.ID, list[0].ID)
		})
	}
}

// startSimProcess starts the canic-backup binary's `sim start` on state
// directory dir with extra flags, waits for its info file and returns it
// with a function that SIGKILLs the process.
func startSimProcess(t *testing.T, dir string, extra ...string) (sim.Info, func()) {
	t.Helper()
	infoPath := filepath.Join(dir, sim.InfoFileName)
	args := append([]string{"sim", "start", "--fleet", "crash", "--children", "1", "--depth", "1",
		"--size", "256KiB", "--state-dir", dir}, extra...)
	cmd := exec.Command(canicBin, args...)
	require.NoError(t, cmd.Start())
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(kill)
	var info sim.Info
	require.Eventually(t, func() bool {
		var err error
		info, err = sim.ReadInfo(infoPath)
		return err == nil
	}, 30*time.Second, 20*time.Millisecond, "sim start never wrote %s", infoPath)
	return info, kill
}
