package e2e

import (
	"path/filepath"
	"strings"
	"testing"

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
	mutateAll(t, f.s, atBackup)

	jpath := prepareRestore(t, f, out, "restore", "")
	restoreToCompletion(t, f, envICP, jpath, 0)
	assert.Equal(t, atBackup, digests(t, f.s, f.children...), "every member is back at its backup-time state")
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
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
	victim := f.children[1]
	fillSnapshots(t, f.s, victim)

	out := filepath.Join(f.dir, "backup")
	r := cli(t, f.dir, nil, "backup", "create", "--config", f.cfg, "--env", envICP, "--out", out)
	require.NotEqual(t, 0, r.code, r.String())
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...), "no canister is left stopped")

	errLines := 0
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(l, "error:") {
			errLines++
		}
	}
	assert.Equal(t, 1, errLines, "one error: %q", r.stderr)
	assert.Contains(t, r.stderr, "icp canister snapshot create")
	assert.Contains(t, r.stderr, victim)
	assert.Contains(t, r.stderr, "maximum number of snapshots")
	assert.NotContains(t, r.stderr, "unauthorized", "a full snapshot slot is no authorization failure")
	assert.Contains(t, r.stderr, "--retry-failed")

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

	before := digests(t, f.s, f.children...)
	dropSnapshot(t, f.s, victim)
	r = cli(t, f.dir, nil, "backup", "resume", "--dir", out, "--config", f.cfg, "--env", envICP, "--retry-failed")
	require.Equal(t, 0, r.code, r.String())
	assert.Regexp(t, `resume\s+complete`, r.stdout)
	r = cli(t, f.dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, r.code, r.String())
	assert.Equal(t, before, digests(t, f.s, f.children...))
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
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
	cfg := filepath.Join(f.dir, "missing-icp.toml")
	writeConfig(t, cfg, f.s, "icp-e2e-no-such-binary")
	r := cli(t, f.dir, nil, "backup", "create", "--config", cfg, "--env", envICP, "--out", filepath.Join(f.dir, "b"))
	require.Equal(t, 1, r.code, r.String())
	assert.Empty(t, r.stdout)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
	assert.Contains(t, r.stderr, `executor "sim-icp": cannot start plugin `+canicBin)
	assert.Contains(t, r.stderr, `binary = "icp-e2e-no-such-binary"`)
	assert.Contains(t, r.stderr, "executable file not found in $PATH")
	assert.NotContains(t, r.stderr, "architecture")
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
}
