package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/internal/golden"
)

const (
	demoRoot = "r7inp-6aaaa-aaaaa-aaabq-cai"
	demoApp  = "renrk-eyaaa-aaaaa-aaada-cai"
	demoHub  = "rno2w-sqaaa-aaaaa-aaacq-cai"
)

// demoRegistry is the golden fleet's registry as canic_subnet_registry
// returns it.
const demoRegistry = `{"Ok":[
 {"pid":"` + demoRoot + `","role":"root","kind":"root","record":{"parent_pid":null,"module_hash":"1111111111111111111111111111111111111111111111111111111111111111"}},
 {"pid":"` + demoApp + `","role":"app","record":{"parent_pid":["` + demoRoot + `"],"module_hash":"2222222222222222222222222222222222222222222222222222222222222222"}},
 {"pid":"` + demoHub + `","role":"user_hub","record":{"parent_pid":["` + demoRoot + `"],"module_hash":"3333333333333333333333333333333333333333333333333333333333333333"}}
]}`

// TestCompatVerifyGoldenBackup is the compat test: the golden backup
// written by 0.35.1 verifies (exit 0, 0.35.1's report), and one changed
// artifact byte fails with exit 3 naming the artifact.
func TestCompatVerifyGoldenBackup(t *testing.T) {
	base := t.TempDir()
	t.Setenv(golden.EnvDir, golden.Dir(t))
	t.Chdir(base)
	dir := filepath.Join("backups", "fleet-demo-20260512-140000")
	goldenBackup(t, dir)

	r := runCLI(t, "backup", "verify", "--dir", dir, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "backup/extra/backup-verify-report.json"))+"\n", r.stdout)
	assert.Empty(t, r.stderr)

	r = runCLI(t, "backup", "verify", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "verified")

	bad := filepath.Join(dir, demoApp, "memory", "heap.bin")
	b, err := os.ReadFile(bad)
	require.NoError(t, err)
	b[0] ^= 1
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	r = runCLI(t, "backup", "verify", "--dir", dir, "--json")
	assert.Equal(t, exitVerifyFailed, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, filepath.Join(dir, demoApp))
	assert.Contains(t, r.stderr, "checksum mismatch")
}

func TestVerifyNamesMissingArtifactAndBadJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	goldenBackup(t, dir)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, demoHub)))
	r := runCLI(t, "backup", "verify", "--dir", dir)
	assert.Equal(t, exitVerifyFailed, r.code)
	assert.Contains(t, r.stderr, filepath.Join(dir, demoHub))

	dir = filepath.Join(t.TempDir(), "c")
	goldenBackup(t, dir)
	journalPath := filepath.Join(dir, "download-journal.json")
	b, err := os.ReadFile(journalPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(journalPath, []byte(strings.Replace(string(b), `"Durable"`, `"Durabel"`, 1)), 0o644))
	r = runCLI(t, "backup", "verify", "--dir", dir)
	assert.Equal(t, exitVerifyFailed, r.code)
	assert.Contains(t, r.stderr, journalPath)
	assert.Contains(t, r.stderr, "Durabel")
}

// verify_backup_rejects_dry_run_layout: a plan-only directory is not a backup.
func TestVerifyRejectsDryRunLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "backup-plan.json"), string(golden.Read(t, "backup/extra/dry-run.backup-plan.json")))
	writeFile(t, filepath.Join(dir, "backup-execution-journal.json"), string(golden.Read(t, "backup/extra/dry-run.backup-execution-journal.json")))
	r := runCLI(t, "backup", "verify", "--dir", dir)
	assert.Equal(t, exitVerifyFailed, r.code)
	assert.Contains(t, r.stderr, "backup plan plan-demo-20260512-140000 is a dry-run layout, not a complete backup")
}

// backup_status_reads_dry_run_execution_summary, against 0.35.1's output.
func TestStatusOfDryRunLayoutMatchesGolden(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "backup-plan.json"), string(golden.Read(t, "backup/extra/dry-run.backup-plan.json")))
	writeFile(t, filepath.Join(dir, "backup-execution-journal.json"), string(golden.Read(t, "backup/extra/dry-run.backup-execution-journal.json")))
	r := runCLI(t, "backup", "status", "--dir", dir, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "backup/extra/dry-run.backup-status.json"))+"\n", r.stdout)

	r = runCLI(t, "backup", "status", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "dry-run")
	assert.Contains(t, r.stdout, "next: 0 validate-topology")
}

// backup_status_reads_journal_resume_report: a download-journal-only layout.
func TestStatusOfDownloadJournalLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "download-journal.json"), string(golden.Read(t, "backup/download-journal.json")))
	r := runCLI(t, "backup", "status", "--dir", dir, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "backup/extra/download-journal.resume-report.json"))+"\n", r.stdout)
}

func TestStatusNamesBrokenJournal(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "backup-plan.json"), string(golden.Read(t, "backup/extra/dry-run.backup-plan.json")))
	writeFile(t, filepath.Join(dir, "backup-execution-journal.json"), `{"journal_version": 2}`)
	r := runCLI(t, "backup", "status", "--dir", dir)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, filepath.Join(dir, "backup-execution-journal.json"))
}

// TestPlanRunVerify plans the golden fleet from a registry file (non-root
// fleet: root's two children), runs it with the in-memory executor and
// verifies it: 0.35.1 failed this fleet at finalize-manifest.
func TestPlanRunVerify(t *testing.T) {
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)
	out := filepath.Join(base, "backup")

	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--fleet", "demo", "--out", out, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasSuffix(r.stdout, "}\n") && !strings.HasSuffix(r.stdout, "\n\n"))
	assert.Contains(t, r.stdout, `"plan_id": "plan-demo-20260512-140000"`)
	assert.Contains(t, r.stdout, `"layout_status": "dry-run"`)
	assert.Contains(t, r.stdout, `"targets": 2`)
	assert.Contains(t, r.stdout, `"operations": 15`)
	assert.NoFileExists(t, filepath.Join(out, "download-journal.json"))

	// Planning over an existing plan is refused and names the file.
	r = runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--out", out)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, filepath.Join(out, "backup-plan.json"))

	r = runCLI(t, "backup", "verify", "--dir", out)
	assert.Equal(t, exitVerifyFailed, r.code)

	resp, err := runner.Run(context.Background(), runner.Config{Dir: out}, memexec.New())
	require.NoError(t, err)
	require.True(t, resp.Complete)

	r = runCLI(t, "backup", "verify", "--dir", out, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"durable_artifacts": 2`)
	r = runCLI(t, "backup", "status", "--dir", out, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"layout_status": "complete"`)
	r = runCLI(t, "manifest", "validate", "--manifest", filepath.Join(out, "fleet-backup-manifest.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
}

func TestPlanSubtreeAndBadInputs(t *testing.T) {
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)

	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--subtree", "app", "--out", filepath.Join(base, "s"), "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"targets": 1`)

	r = runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--subtree", "nosuch", "--out", filepath.Join(base, "x"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "nosuch")
	assert.Contains(t, r.stderr, reg)
	assert.NoDirExists(t, filepath.Join(base, "x"))

	broken := filepath.Join(base, "broken.json")
	writeFile(t, broken, `{"Ok":[{"pid":7}]}`)
	r = runCLI(t, "backup", "plan", "--registry", broken, "--root", demoRoot, "--out", filepath.Join(base, "y"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, broken)

	r = runCLI(t, "backup", "plan", "--registry", filepath.Join(base, "missing.json"), "--root", demoRoot, "--out", filepath.Join(base, "z"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "missing.json")
}

// parses_manifest_validate_options / validate_manifest_reads_and_validates_manifest /
// write_validation_summary: the summary equals 0.35.1's.
func TestManifestValidate(t *testing.T) {
	path := golden.Path(t, "backup/fleet-backup-manifest.json")
	r := runCLI(t, "manifest", "validate", "--manifest", path, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "backup/extra/manifest-validation-summary.json"))+"\n", r.stdout)

	bad := filepath.Join(t.TempDir(), "m.json")
	writeFile(t, bad, strings.Replace(string(golden.Read(t, "backup/fleet-backup-manifest.json")), `"manifest_version": 1`, `"manifest_version": 2`, 1))
	r = runCLI(t, "manifest", "validate", "--manifest", bad)
	assert.Equal(t, exitVerifyFailed, r.code)
	assert.Contains(t, r.stderr, bad)
	assert.Contains(t, r.stderr, "unsupported manifest version 2")

	r = runCLI(t, "manifest", "validate", "--manifest", filepath.Join(t.TempDir(), "absent.json"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "absent.json")
}

// missing_manifest_validate_option_names_required_path and the other usage
// errors: exit 2, the message names the command and the flag.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"manifest", "validate"}, "canic-backup manifest validate: required flag --manifest"},
		{[]string{"backup", "verify"}, "required flag --dir"},
		{[]string{"backup", "status", "--json"}, "required flag --dir"},
		{[]string{"backup", "plan", "--root", demoRoot, "--out", "x"}, "required flag --registry"},
		{[]string{"backup", "verify", "--dir", "x", "--bogus"}, "flag provided but not defined"},
		{[]string{"backup", "verify", "--dir", "x", "extra"}, `unexpected argument "extra"`},
		{[]string{"backup"}, "a command is required"},
		{[]string{"backup", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{nil, "a command is required"},
	} {
		r := runCLI(t, tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
		assert.Empty(t, r.stdout, "%v", tc.args)
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"backup", "--help"}, {"backup", "verify", "--help"}, {"manifest", "validate", "-h"}} {
		r := runCLI(t, args...)
		assert.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stdout, "canic-backup", "%v", args)
	}
}
