package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/stores"
	"github.com/canic-backup/canic-backup/internal/seaweed"
)

// listDirStoreConfig writes a config whose dir store "local" is the relative
// path "backups" (so <config dir>/backups) and whose only environment uses
// it; it returns the config path and the store's directory.
func listDirStoreConfig(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "canic.toml")
	writeFile(t, cfg, "version = 1\n\n[environments.prod]\nroot = \"aaaaa-aa\"\nexecutor = \"x\"\nstore = \"local\"\n\n"+
		"[executors.x]\ndriver = \"plugin\"\npath = \"/bin/true\"\n\n[stores.local]\nkind = \"dir\"\npath = \"backups\"\n")
	return cfg, filepath.Join(dir, "backups")
}

// TestStoreDirListInspectPrune: a dir store is a --root: list, inspect
// (--backup NAME) and prune work on its path, chosen by --store or by the
// environment's store key; --root with --store is a usage error.
func TestStoreDirListInspectPrune(t *testing.T) {
	cfg, root := listDirStoreConfig(t)
	require.NoError(t, os.MkdirAll(root, 0o755))
	fixture := pruneFixture(t)
	copyTree(t, fixture, root)

	byRoot := runStoreCLI(t, nil, "backup", "list", "--root", root)
	require.Equal(t, exitOK, byRoot.code, byRoot.stderr)
	r := runStoreCLI(t, nil, "backup", "list", "--config", cfg, "--store", "local")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byRoot.stdout, r.stdout, "a dir store lists exactly as --root its path")
	assert.Regexp(t, `(?m)^1\s+`+regexp.QuoteMeta(filepath.Join(root, "b5-incomplete"))+`\s`, r.stdout)
	r = runStoreCLI(t, nil, "backup", "list", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byRoot.stdout, r.stdout, "the environment's store")

	r = runStoreCLI(t, nil, "backup", "list", "--config", cfg, "--store", "local", "--root", root)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--root and --store both say where the backups are; give one")
	other := t.TempDir()
	r = runStoreCLI(t, nil, "backup", "list", "--config", cfg, "--root", other, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout, "--root beats the environment's store")

	byDir := runStoreCLI(t, nil, "backup", "inspect", "--dir", filepath.Join(root, "b4"))
	require.Equal(t, exitOK, byDir.code, byDir.stderr)
	r = runStoreCLI(t, nil, "backup", "inspect", "--config", cfg, "--store", "local", "--backup", "b4")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byDir.stdout, r.stdout)
	r = runStoreCLI(t, nil, "backup", "inspect", "--config", cfg, "--backup", "b4")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byDir.stdout, r.stdout, "the environment's store")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg, "--store", "local"}, "required flag --backup is missing: name a backup in store local"},
		{[]string{"--config", cfg, "--store", "local", "--backup", "../b4"}, `--backup "../b4": not a backup name`},
		{[]string{"--config", cfg, "--dir", root, "--store", "local", "--backup", "b4"}, "give one"},
		{[]string{"--backup", "b4"}, "--backup b4 needs a store"},
		{[]string{}, "required flag --dir is missing"},
	} {
		r = runStoreCLI(t, map[string]string{"CANIC_BACKUP_CONFIG": ""}, append([]string{"backup", "inspect"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
	}

	r = runStoreCLI(t, nil, "backup", "prune", "--config", cfg, "--store", "local", "--keep-last", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^deleted\s+\S+/b1\s`, r.stdout)
	assert.NoDirExists(t, filepath.Join(root, "b1"))
	assert.NoDirExists(t, filepath.Join(root, "b2"))
	for _, name := range []string{"b3", "b4", "b5-incomplete", "planned"} {
		assert.DirExists(t, filepath.Join(root, name))
	}
	r = runStoreCLI(t, nil, "backup", "prune", "--config", cfg, "--store", "local", "--root", root, "--keep-last", "1")
	assert.Equal(t, exitUsage, r.code)
}

// TestStoreS3ListInspectPrune runs list, inspect and prune against a real
// SeaweedFS bucket holding backups published with archive.Publish (plus a
// plan-only dry run and a publish that stopped before its documents):
// rows and inspect output match the directory ones with DIR
// s3://bucket/prefix/NAME; prune deletes by created_at, never an
// incomplete backup, keeps the newest one that verifies from the bucket,
// and deletes every object of a pruned backup.
func TestStoreS3ListInspectPrune(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const bucket, prefix = "list-store", "fleets/"
	cfg, s := seaweedStoreConfig(ctx, t, bucket, prefix, 0)

	fixture := pruneFixture(t)
	for _, name := range []string{"b1", "b2", "b3", "b4", "b5-incomplete"} {
		_, err := archive.Publish(ctx, s, name, filepath.Join(fixture, name), archive.PublishOptions{})
		require.NoError(t, err, name)
	}
	// A dry run has no manifest (Publish refuses it): its documents are
	// put as they are; a publish cut short has artifacts only.
	for _, f := range []string{layout.PlanFile, layout.ExecutionJournalFile} {
		b, err := os.ReadFile(filepath.Join(fixture, "planned", f))
		require.NoError(t, err)
		_, err = s.Put(ctx, archive.Key("planned", f), strings.NewReader(string(b)), store.PutOptions{})
		require.NoError(t, err)
	}
	_, err := s.Put(ctx, archive.Key("partial", demoRoot+"/wasm_module.bin"), strings.NewReader("x"), store.PutOptions{})
	require.NoError(t, err)
	_, err = s.Put(ctx, "locks/fleet-demo.json", strings.NewReader("{}"), store.PutOptions{})
	require.NoError(t, err)

	url := "s3://" + bucket + "/" + prefix
	byRoot := runStoreCLI(t, nil, "backup", "list", "--root", fixture)
	require.Equal(t, exitOK, byRoot.code, byRoot.stderr)
	r := runStoreCLI(t, map[string]string{envStore: "sw"}, "backup", "list", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2+7, r.stdout)
	assert.Regexp(t, `^1\s+`+regexp.QuoteMeta(url)+`b5-incomplete\s+\S+\s+demo\s+\S+ \S+\s+3\s+ok$`, lines[2])
	assert.Regexp(t, `^2\s+`+regexp.QuoteMeta(url)+`planned\s+plan-demo-20260512-140000\s+demo\s+20260512-140000\s+\d+\s+dry-run$`, lines[3])
	assert.Regexp(t, `^3\s+`+regexp.QuoteMeta(url)+`b4\s`, lines[4])
	assert.Regexp(t, `^7\s+`+regexp.QuoteMeta(url)+`partial\s+-\s+-\s+-\s+0\s+incomplete$`, lines[8])
	assert.NotContains(t, r.stdout, "locks")
	// The same rows as the local directories, DIR aside (partial is only
	// in the bucket).
	want := tableFields(strings.ReplaceAll(byRoot.stdout, fixture+"/", url))
	got := tableFields(r.stdout)
	assert.Equal(t, want, got[:len(got)-1], "rows match the directory listing")

	r = runStoreCLI(t, nil, "backup", "list", "--config", cfg, "--store", "sw", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"dir": "`+url+`b4"`)
	assert.Contains(t, r.stdout, `"status": "incomplete"`)
	assert.Contains(t, r.stdout, `"complete": true`)

	byDir := runStoreCLI(t, nil, "backup", "inspect", "--dir", filepath.Join(fixture, "b4"))
	require.Equal(t, exitOK, byDir.code, byDir.stderr)
	r = runStoreCLI(t, nil, "backup", "inspect", "--config", cfg, "--store", "sw", "--backup", "b4")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byDir.stdout, r.stdout, "inspect from the bucket prints what inspect of the directory prints")
	byDir = runStoreCLI(t, nil, "backup", "inspect", "--dir", filepath.Join(fixture, "b4"), "--json")
	r = runStoreCLI(t, nil, "backup", "inspect", "--config", cfg, "--store", "sw", "--backup", "b4", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, byDir.stdout, r.stdout)
	r = runStoreCLI(t, nil, "backup", "inspect", "--config", cfg, "--store", "sw", "--backup", "partial")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, url+"partial/backup-plan.json is missing")

	r = runStoreCLI(t, nil, "backup", "prune", "--config", cfg, "--store", "sw", "--keep-last", "2", "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^would delete\s+`+regexp.QuoteMeta(url)+`b1\s`, r.stdout)
	assert.Regexp(t, `(?m)^would delete\s+`+regexp.QuoteMeta(url)+`b2\s`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+`+regexp.QuoteMeta(url)+`b5-incomplete\s.*not complete$`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+`+regexp.QuoteMeta(url)+`b4\s.*within --keep-last$`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+`+regexp.QuoteMeta(url)+`partial\s.*not complete$`, r.stdout)
	names := func() []string {
		bs, err := archive.List(ctx, s)
		require.NoError(t, err)
		var out []string
		for _, b := range bs {
			out = append(out, b.Name)
		}
		return out
	}
	assert.Equal(t, []string{"b1", "b2", "b3", "b4", "b5-incomplete", "partial", "planned"}, names(), "a dry run deletes nothing")

	r = runStoreCLI(t, nil, "backup", "prune", "--config", cfg, "--store", "sw", "--keep-last", "2", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"root": "`+s.String()+`"`)
	assert.Equal(t, []string{"b3", "b4", "b5-incomplete", "partial", "planned"}, names())
	left, err := s.List(ctx, "b1/")
	require.NoError(t, err)
	assert.Empty(t, left, "every object of a pruned backup is gone")

	// b4 (newest complete) is corrupt in the bucket: with --keep-last 0 the
	// newest backup that verifies from the bucket (b3) stays.
	_, err = s.Put(ctx, archive.Key("b4", demoRoot+"/wasm_module.bin"), strings.NewReader("tampered"), store.PutOptions{})
	require.NoError(t, err)
	r = runStoreCLI(t, nil, "backup", "prune", "--config", cfg, "--store", "sw", "--keep-last", "0")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^keep\s+`+regexp.QuoteMeta(url)+`b3\s.*newest verified backup$`, r.stdout)
	assert.Regexp(t, `(?m)^deleted\s+`+regexp.QuoteMeta(url)+`b4\s`, r.stdout)
	assert.Equal(t, []string{"b3", "b5-incomplete", "partial", "planned"}, names())
}

// tableFields splits a rendered table's rows (after the header and rule)
// into their fields.
func tableFields(out string) [][]string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	rows := [][]string{}
	for _, l := range lines[2:] {
		rows = append(rows, strings.Fields(l))
	}
	return rows
}

// TestStoreS3PruneStale: `prune --stale D` deletes the backups without a
// manifest whose objects are older than D and aborts multipart uploads
// started before it, but spares a backup a live fleet lock names (and its
// upload) and a backup that has a manifest; without a remote store the
// flag is a usage error.
func TestStoreS3PruneStale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const bucket, prefix = "stale-store", "fleets/"
	cfg, s := seaweedStoreConfig(ctx, t, bucket, prefix, 5)

	fixture := pruneFixture(t)
	_, err := archive.Publish(ctx, s, "b4", filepath.Join(fixture, "b4"), archive.PublishOptions{})
	require.NoError(t, err)
	for _, name := range []string{"abandoned", "running"} {
		_, err = s.Put(ctx, archive.Key(name, demoRoot+"/wasm_module.bin"), strings.NewReader("x"), store.PutOptions{})
		require.NoError(t, err)
		// A Put cut off after its first 5 MiB part leaves a multipart upload.
		_, err = s.Put(ctx, archive.Key(name, demoRoot+"/stable_memory.bin"),
			io.MultiReader(strings.NewReader(strings.Repeat("m", 6<<20)), iotest.ErrReader(errors.New("cut"))), store.PutOptions{})
		require.Error(t, err)
	}
	lease, err := archive.LockFleet(ctx, s, "demo", store.LeaseOptions{Host: "other-host", PID: 7, Purpose: "backup create running", TTL: 5 * time.Hour})
	require.NoError(t, err)
	defer lease.Release(context.Background()) //nolint:errcheck // test cleanup

	prune := func(args ...string) result {
		e, out, errOut := storeVarsEnv(t, nil)
		e.now = func() time.Time { return time.Now().Add(2 * time.Hour) } // every object is 2 h old
		code := run(context.Background(), append([]string{"canic-backup", "backup", "prune", "--config", cfg, "--store", "sw"}, args...), e)
		return result{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	url := regexp.QuoteMeta("s3://" + bucket + "/" + prefix)
	r := prune("--keep-last", "5", "--stale", "1h", "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^would delete\s+`+url+`abandoned\s.*untouched since .*more than --stale 1h0m0s\)$`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+`+url+`running\s.*a live fleet lock is working on it$`, r.stdout)
	assert.NotContains(t, r.stdout, "aborted", "a dry run aborts nothing")

	r = prune("--keep-last", "5", "--stale", "1h", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"stale": "1h0m0s"`)
	assert.Contains(t, r.stdout, `"aborted_uploads": 1`, "the abandoned backup's upload goes, the running one's stays")
	bs, err := archive.List(ctx, s)
	require.NoError(t, err)
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	assert.Equal(t, []string{"b4", "running"}, names, "the abandoned backup is gone; the live one and the complete one stay")

	r = prune("--keep-last", "5", "--stale", "1h")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "aborted 0 unfinished multipart uploads or leftover staging objects older than ")

	r = runStoreCLI(t, nil, "backup", "prune", "--root", t.TempDir(), "--keep-last", "1", "--stale", "1h")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--stale needs a remote store")
}

// seaweedStoreConfig starts a SeaweedFS server with bucket, passes its
// credentials through the environment, writes a config whose s3 store "sw"
// is bucket/prefix, and returns that config's path and the store opened
// directly (with partSizeMiB, 0 for the default).
func seaweedStoreConfig(ctx context.Context, t *testing.T, bucket, prefix string, partSizeMiB int) (string, store.Store) {
	t.Helper()
	repo, err := seaweed.RepoRoot()
	require.NoError(t, err)
	bin, err := seaweed.Binary(ctx, repo, t.Logf)
	require.NoError(t, err)
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	require.NoError(t, srv.CreateBucket(ctx, bucket))
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	cfg := filepath.Join(t.TempDir(), "canic.toml")
	writeFile(t, cfg, "version = 1\n\n[stores.sw]\nkind = \"s3\"\nendpoint = \""+srv.Endpoint+"\"\nbucket = \""+bucket+
		"\"\nprefix = \""+prefix+"\"\nregion = \"us-east-1\"\npath_style = true\n")
	s, err := stores.Open(ctx, "sw", store.Settings{Kind: store.KindS3, Endpoint: srv.Endpoint, Bucket: bucket, Prefix: prefix,
		Region: "us-east-1", PathStyle: true, PartSizeMiB: partSizeMiB})
	require.NoError(t, err)
	return cfg, s
}
