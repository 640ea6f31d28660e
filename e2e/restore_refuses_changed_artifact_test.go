package e2e

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// simUploadCalls reads the simulator's counters over HTTP (GET
// /_sim/counters) and returns how many snapshot upload and load calls it
// accepted.
func simUploadCalls(t *testing.T, s *sim.Simulator) uint64 {
	t.Helper()
	resp, err := http.Get(s.URL() + "/_sim/counters")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var c sim.Counters
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	var n uint64
	for method, k := range c.Calls {
		if strings.Contains(method, "upload_canister_snapshot") || method == "load_canister_snapshot" {
			n += k
		}
	}
	return n
}

// largestFile is the biggest file of the artifact directory dir.
func largestFile(t *testing.T, dir string) string {
	t.Helper()
	var best string
	var size int64 = -1
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil && info.Size() > size {
			best, size = p, info.Size()
		}
		return err
	}))
	require.Greater(t, size, int64(1000))
	return best
}

// flipByte changes the byte at offset 1000 of path in place (as `printf X |
// dd of=path bs=1 seek=1000 conv=notrunc` would).
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, 1000)
	require.NoError(t, err)
	b[0] ^= 0xFF
	_, err = f.WriteAt(b, 1000)
	require.NoError(t, err)
}

// TestRestoreRunRefusesArtifactChangedAfterApply, for the agent and the
// icp executor: one byte of an artifact changed between `restore apply`
// and `restore run --execute` makes the run refuse before any upload (the
// simulator's counters show no upload or load call, every canister still
// running), exit 3, naming the artifact and the journal. Editing the
// journal to upload another member's artifact is refused the same way.
// With the artifact and the journal put back, the retried restore
// completes.
func TestRestoreRunRefusesArtifactChangedAfterApply(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := startFleet(t, 1<<20)
			out, atBackup := backupFleet(t, f, env)
			mutateAll(t, f.Sim, atBackup)
			jpath := prepareRestore(t, f, out, "tamper", "")
			j := readRestoreJournal(t, jpath)
			up := j.Operations[0]
			require.Equal(t, restore.OpUploadSnapshot, up.Operation)
			artifact := filepath.Join(out, *up.ArtifactPath)
			file := largestFile(t, artifact)
			original, err := os.ReadFile(file)
			require.NoError(t, err)
			flipByte(t, file)
			require.Zero(t, simUploadCalls(t, f.Sim), "a backup uploads nothing")

			r := restoreRun(t, f, env, jpath, "execute")
			assert.Equal(t, 3, r.Code, r.String())
			assert.Contains(t, r.Stderr, "file "+file+" differs", "the message names the changed file")
			assert.Contains(t, r.Stderr, jpath, "and the journal")
			assert.Contains(t, r.Stderr, "nothing was uploaded")
			assert.Zero(t, simUploadCalls(t, f.Sim), "no upload or load reached the simulator")
			assert.Equal(t, allRunning(append([]string{f.Root}, f.Children...)...), fleettest.Statuses(t, f.Sim, append([]string{f.Root}, f.Children...)...))
			j = readRestoreJournal(t, jpath)
			assert.Equal(t, restore.StateFailed, j.Operations[0].State)
			assert.Equal(t, []string{restore.ReasonArtifactChecksumMismatch}, j.Operations[0].BlockingReasons)

			// Another member's artifact in a journal is refused too.
			require.NoError(t, os.WriteFile(file, original, 0o600))
			swap := prepareRestore(t, f, out, "swap", "")
			sj := readRestoreJournal(t, swap)
			other := sj.Operations[1]
			require.Equal(t, restore.OpUploadSnapshot, other.Operation)
			sj.Operations[0].ArtifactPath = other.ArtifactPath
			sj.Operations[0].Checksum = other.Checksum
			require.NoError(t, layout.WriteJSONAtomic(swap, sj))
			r = restoreRun(t, f, env, swap, "execute")
			assert.Equal(t, 3, r.Code, r.String())
			assert.Contains(t, r.Stderr, "refusing to upload another member's artifact")
			assert.Zero(t, simUploadCalls(t, f.Sim))

			// With the artifact put back, the retried restore completes and
			// every state is back.
			r = restoreRun(t, f, env, jpath, "retry-failed")
			require.Equal(t, 0, r.Code, r.String())
			restoreToCompletion(t, f, env, jpath, 0)
			assert.Positive(t, simUploadCalls(t, f.Sim))
			assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...))
		})
	}
}
