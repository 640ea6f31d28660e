package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestICPBackupRestoreCycle: the agent cycle (TestAgentBackupRestoreCycle) through the dfx
// executor in icp flavor, driving the real icp 1.5.0 binary: the backup
// verifies and the restore brings every digest back.
func TestICPBackupRestoreCycle(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1<<20)
	out, atBackup := backupFleet(t, f, envICP)
	mutateAll(t, f.Sim, atBackup)

	jpath := prepareRestore(t, f, out, "restore", "")
	restoreToCompletion(t, f, envICP, jpath, 0)
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...), "every member is back at its backup-time state")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}

// TestICPFailureMidBackupIsOneErrorAndResumes: the second child already holds the IC's
// maximum of 10 snapshots, so icp's `canister snapshot create` fails after
// every child was stopped. The run exits non-zero with one error naming
// the icp command, the journal's failed create-snapshot receipt holds
// icp's message, and every stopped canister runs again. Once a slot is
// freed, `backup resume --retry-failed` completes a backup that verifies.
func TestICPFailureMidBackupIsOneErrorAndResumes(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1<<20)
	victim := f.Children[1]
	fleettest.FillSnapshots(t, f.Sim, victim)

	out := filepath.Join(f.Dir, "backup")
	r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", envICP, "--out", out)
	require.NotEqual(t, 0, r.Code, r.String())
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "no canister is left stopped")

	errLines := 0
	for _, l := range strings.Split(strings.TrimSpace(r.Stderr), "\n") {
		if strings.HasPrefix(l, "error:") {
			errLines++
		}
	}
	assert.Equal(t, 1, errLines, "one error: %q", r.Stderr)
	assert.Contains(t, r.Stderr, "icp canister snapshot create")
	assert.Contains(t, r.Stderr, victim)
	assert.Contains(t, r.Stderr, "maximum number of snapshots")
	assert.NotContains(t, r.Stderr, "unauthorized", "a full snapshot slot is no authorization failure")
	assert.Contains(t, r.Stderr, "--retry-failed")

	j := readExecutionJournal(t, out)
	var failed []string
	for _, rc := range j.OperationReceipts {
		if rc.FailureReason != nil {
			failed = append(failed, string(rc.Kind)+" "+deref(rc.TargetCanisterID)+": "+*rc.FailureReason)
		}
	}
	require.Len(t, failed, 1, "one failed receipt: %q", failed)
	assert.Contains(t, failed[0], "create-snapshot "+victim)
	assert.Contains(t, failed[0], "icp canister snapshot create")
	assert.Contains(t, failed[0], "maximum number of snapshots")

	before := fleettest.Digests(t, f.Sim, f.Children...)
	fleettest.DropSnapshot(t, f.Sim, victim)
	r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envICP, "--retry-failed")
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `resume\s+complete`, r.Stdout)
	r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, r.Code, r.String())
	assert.Equal(t, before, fleettest.Digests(t, f.Sim, f.Children...))
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestMissingICPIsOneClearLine: when the configured icp binary does
// not exist, the dfx driver's plugin process cannot start; the user gets
// one line naming the executor and the driver's own reason, not
// go-plugin's guesses about architectures and dynamic libraries.
func TestMissingICPIsOneClearLine(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1<<20)
	cfg := filepath.Join(f.Dir, "missing-icp.toml")
	writeConfig(t, cfg, f.Sim, "icp-e2e-no-such-binary")
	r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", cfg, "--env", envICP, "--out", filepath.Join(f.Dir, "b"))
	require.Equal(t, 1, r.Code, r.String())
	assert.Empty(t, r.Stdout)
	assert.Equal(t, 1, strings.Count(r.Stderr, "\n"), "one line: %q", r.Stderr)
	assert.Contains(t, r.Stderr, `executor "sim-icp": cannot start plugin `+canic.Bin)
	assert.Contains(t, r.Stderr, `binary = "icp-e2e-no-such-binary"`)
	assert.Contains(t, r.Stderr, "executable file not found in $PATH")
	assert.NotContains(t, r.Stderr, "architecture")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
