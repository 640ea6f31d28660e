package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/sim"
)

// restoreSeaweed starts a SeaweedFS server for one test (the weed binary
// is built once into the user cache; `make weed`) and creates bucket.
func restoreSeaweed(ctx context.Context, t *testing.T, bucket string) *seaweed.Server {
	t.Helper()
	root, err := seaweed.RepoRoot()
	require.NoError(t, err)
	bin, err := seaweed.Binary(ctx, root, t.Logf)
	require.NoError(t, err)
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	require.NoError(t, srv.CreateBucket(ctx, bucket))
	return srv
}

// simDigests returns the state digest of every canister of the simulator.
func simDigests(t *testing.T, s *sim.Simulator) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range s.Canisters() {
		dg, ok := s.Replica().Digest(p.Raw)
		require.True(t, ok, p.String())
		out[p.String()] = dg
	}
	return out
}

// TestRestoreStoreSeaweed is the restore half of issue 11 against a real
// object store: the simulator's fleet is backed up, published to a
// SeaweedFS bucket and the local copy deleted; after the fleet changed,
// restore plan --store (verified by streaming) → apply --store (artifacts
// checked by streaming, none downloaded; journal and dry run byte for byte
// those of a full local copy) → run --execute --store (each artifact
// fetched just before its upload, removed after it: one on disk at a
// time) brings every canister's state digest back; --keep-fetched keeps
// them.
// A tampered object makes apply fail naming its key, with no journal
// written and nothing executed.
func TestRestoreStoreSeaweed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const bucket, prefix, storeName = "restore-store", "fleets/", "sw"
	srv := restoreSeaweed(ctx, t, bucket)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)

	base := t.TempDir()
	s, err := sim.Start(ctx, sim.Options{
		Addr: net.JoinHostPort("127.0.0.1", "0"), StateDir: filepath.Join(base, "sim"),
		Fleet: sim.Fleet{Name: "demo", Children: 2, Depth: 1, Size: 256 << 10, Seed: 1},
	})
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close(context.Background())) }()
	settings := store.Settings{Kind: store.KindS3, Endpoint: srv.Endpoint, Bucket: bucket, Prefix: prefix,
		Region: "us-east-1", PathStyle: true}
	cfg := filepath.Join(base, "canic.toml")
	writeFile(t, cfg, simConfigTOML(s.Info(), "demo")+fmt.Sprintf(
		"\n[stores.%s]\nkind = \"s3\"\nendpoint = %q\nbucket = %q\nprefix = %q\nregion = \"us-east-1\"\npath_style = true\n",
		storeName, srv.Endpoint, bucket, prefix))
	vars := map[string]string{"XDG_CACHE_HOME": filepath.Join(base, "cache")}

	// Back up, publish twice (once to be tampered with), drop the local copy.
	atBackup := simDigests(t, s)
	name := "fleet-demo-20261126-101500"
	local := filepath.Join(base, "backups", name)
	r := runApp(t, vars, "backup", "create", "--config", cfg, "--env", "sim", "--out", local)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	pl, err := verify.ReadPlan(local)
	require.NoError(t, err)
	require.Len(t, pl.Targets, 2)
	st, err := s3store.Open(ctx, storeName, settings, s3store.Options{})
	require.NoError(t, err)
	_, err = archive.Publish(ctx, st, name, local, archive.PublishOptions{})
	require.NoError(t, err)
	bad := name + "-tampered"
	_, err = archive.Publish(ctx, st, bad, local, archive.PublishOptions{})
	require.NoError(t, err)
	tamperedKey := tamperArtifact(ctx, t, srv, bucket, prefix, bad, local, pl.Targets[1].CanisterID)
	require.NoError(t, os.RemoveAll(local))

	// Change every canister so that the restore has something to undo.
	sender := s.ControllerIdentity().Sender().Raw
	for i, tg := range pl.Targets {
		p := canisterRaw(t, s, tg.CanisterID)
		arg, err := idl.Marshal([]any{uint64(7000 + i)})
		require.NoError(t, err)
		_, err = s.Replica().Execute(ctx, replicaCall(sender, p, "sim_mutate", arg))
		require.NoError(t, err)
	}
	mutated := simDigests(t, s)
	for _, tg := range pl.Targets {
		require.NotEqual(t, atBackup[tg.CanisterID], mutated[tg.CanisterID], tg.CanisterID)
	}

	work := filepath.Join(base, "restore")
	require.NoError(t, os.MkdirAll(work, 0o755))
	in := func(f string) string { return filepath.Join(work, f) }

	// The tampered copy: plan fetches only documents (fine); apply fails
	// naming the key, writes no journal, executes nothing.
	r = runApp(t, vars, "restore", "plan", "--config", cfg, "--store", storeName, "--backup", bad, "--out", in("bad-plan.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runApp(t, vars, "restore", "apply", "--config", cfg, "--store", storeName, "--backup", bad, "--plan", in("bad-plan.json"),
		"--dry-run", "--out", in("bad-dry.json"), "--journal-out", in("bad-journal.json"))
	assert.Equal(t, exitVerifyFailed, r.code, r.stderr)
	assert.Contains(t, r.stderr, tamperedKey, "the error names the tampered object")
	t.Logf("tampered apply: %s", r.stderr)
	assert.NoFileExists(t, in("bad-journal.json"))
	assert.NoFileExists(t, in("bad-dry.json"))
	r = runApp(t, vars, "restore", "plan", "--config", cfg, "--store", storeName, "--backup", bad, "--require-verified",
		"--out", in("bad-plan-2.json"))
	assert.Equal(t, exitVerifyFailed, r.code, r.stderr)
	assert.Contains(t, r.stderr, tamperedKey)
	assert.Equal(t, mutated, simDigests(t, s), "nothing was executed")

	// A backup the bucket does not hold is named as such.
	r = runApp(t, vars, "restore", "plan", "--config", cfg, "--store", storeName, "--backup", "no-such-backup", "--out", in("none.json"))
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "backup no-such-backup in s3://"+bucket+"/"+prefix+" has no "+layout.ManifestFile)

	// The good copy, start to finish.
	r = runApp(t, vars, "restore", "plan", "--config", cfg, "--store", storeName, "--backup", name, "--require-verified",
		"--require-restore-ready", "--out", in("plan.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	fetchDir := filepath.Join(base, "cache", "canic-backup", "fetch", storeName, name)
	assert.FileExists(t, filepath.Join(fetchDir, layout.ManifestFile))
	assert.NoDirExists(t, filepath.Join(fetchDir, pl.Targets[0].CanisterID), "plan fetches no artifact")

	r = runApp(t, vars, "restore", "apply", "--config", cfg, "--store", storeName, "--backup", name, "--plan", in("plan.json"),
		"--dry-run", "--journal-out", in("journal.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^checked 2 artifacts \(\d+ objects, [0-9.]+ MiB\) in s3://`+bucket+`/`+prefix+` by streaming in \S+$`, r.stderr)
	t.Logf("apply: %s", r.stderr)
	assert.Contains(t, r.stdout, `"dry_run_version"`, "stdout carries only the dry-run JSON")
	assert.NotContains(t, r.stdout, "fetched")
	streamedDry := r.stdout
	assertDocumentsOnly(t, fetchDir, "apply --store downloads no artifact")
	j, err := restore.ReadJournal(in("journal.json"))
	require.NoError(t, err)
	require.NotNil(t, j.BackupRoot)
	assert.Equal(t, fetchDir, *j.BackupRoot)
	assert.True(t, j.Ready, "%v", j.BlockedReasons)

	// The dry run and journal are byte for byte the ones a full local copy
	// in the fetch directory gives.
	_, err = archive.Fetch(ctx, st, name, fetchDir, archive.FetchOptions{AllArtifacts: true})
	require.NoError(t, err)
	r = runApp(t, vars, "restore", "apply", "--backup-dir", fetchDir, "--plan", in("plan.json"), "--dry-run",
		"--journal-out", in("journal-local.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, streamedDry, r.stdout)
	assert.Equal(t, readFile(t, in("journal-local.json")), readFile(t, in("journal.json")))
	removeArtifacts(t, fetchDir)

	// Run: each artifact is fetched just before its upload and removed
	// after it; the executor sees only the artifact in flight on disk.
	obs := &uploadObserver{root: fetchDir}
	r = runAppObserved(t, vars, cfg, obs, "restore", "run", "--journal", in("journal.json"), "--execute", "--config", cfg, "--env", "sim",
		"--store", storeName, "--require-complete")
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	assert.Regexp(t, `(?m)^fetched \d+ objects \([0-9.]+ MiB\) from s3://`+bucket+`/`+prefix+` in \S+`, r.stderr)
	t.Logf("run: %s", r.stderr)
	require.Len(t, obs.uploads, 2)
	for i, dirs := range obs.present {
		assert.Equal(t, []string{obs.uploads[i]}, dirs, "upload %d: only its own artifact is on disk", i)
	}
	assertDocumentsOnly(t, fetchDir, "every fetched artifact was removed after its upload")
	assert.NoFileExists(t, in("journal.json")+usecase.FetchedSuffix)
	restored := simDigests(t, s)
	for _, tg := range pl.Targets {
		assert.Equal(t, atBackup[tg.CanisterID], restored[tg.CanisterID], "%s back to its backup-time state", tg.CanisterID)
	}

	// --keep-fetched: the artifacts stay, and the fetch directory is then
	// a complete, verifiable copy of the backup.
	r = runApp(t, vars, "restore", "apply", "--config", cfg, "--store", storeName, "--backup", name, "--plan", in("plan.json"),
		"--dry-run", "--out", in("dry-2.json"), "--journal-out", in("journal-2.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runApp(t, vars, "restore", "run", "--journal", in("journal-2.json"), "--execute", "--config", cfg, "--env", "sim",
		"--store", storeName, "--require-complete", "--keep-fetched")
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	_, err = verify.Layout(ctx, fetchDir)
	require.NoError(t, err, "every artifact kept, byte for byte")
	restored = simDigests(t, s)
	for _, tg := range pl.Targets {
		assert.Equal(t, atBackup[tg.CanisterID], restored[tg.CanisterID], tg.CanisterID)
	}
}

// assertDocumentsOnly fails unless every file below dir is a backup
// document (or a restore reference), i.e. no artifact file is there.
func assertDocumentsOnly(t *testing.T, dir, msg string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		assert.True(t, archive.IsDocument(rel) || strings.HasPrefix(rel, restore.ReferencesDir+"/"), "%s: %s", msg, rel)
		return nil
	}))
}

// removeArtifacts deletes every directory below dir but restore
// references, leaving the documents.
func removeArtifacts(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() && e.Name() != restore.ReferencesDir {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
}

// uploadObserver wraps the configured executor and records, at each
// upload, the artifact uploaded and the artifact directories under root.
type uploadObserver struct {
	restore.RestoreExecutor
	root    string
	uploads []string
	present [][]string
}

func (x *uploadObserver) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	ents, err := os.ReadDir(x.root)
	if err != nil {
		return "", err
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != restore.ReferencesDir {
			dirs = append(dirs, e.Name())
		}
	}
	x.present = append(x.present, dirs)
	// The runner uploads a staged copy (never a path under root): name
	// the fetched artifact whose bytes it holds.
	name := "unknown " + dir
	if rel, err := filepath.Rel(x.root, dir); err == nil && filepath.IsLocal(rel) {
		name = "inside the backup: " + dir
	} else if sum, err := checksum.FromPath(ctx, dir); err == nil {
		for _, d := range dirs {
			if s, err := checksum.FromPath(ctx, filepath.Join(x.root, d)); err == nil && s == sum {
				name = d
			}
		}
	}
	x.uploads = append(x.uploads, name)
	return x.RestoreExecutor.UploadSnapshot(ctx, target, dir)
}

// runAppObserved is runApp with `restore run`'s executor (from the config
// file cfg) wrapped by obs.
func runAppObserved(t *testing.T, vars map[string]string, cfg string, obs *uploadObserver, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }, now: time.Now,
		executable: func() (string, error) { return canicBin, nil }}
	base := configRestoreOpener(e)
	open := func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		ex, closeFn, err := base(context.WithValue(ctx, restoreFlagsKey{}, cfg), envName)
		if err != nil {
			return nil, nil, err
		}
		obs.RestoreExecutor = ex
		return obs, closeFn, nil
	}
	app := newApp(e)
	for i, c := range app.Commands {
		if c.Name == "restore" {
			app.Commands[i] = newRestoreCommand(e, open)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := app.RunContext(ctx, append([]string{"canic-backup"}, args...))
	if err != nil {
		fmt.Fprintln(&errOut, "error:", err)
	}
	return result{code: exitCode(err), stdout: out.String(), stderr: errOut.String()}
}

// canisterRaw returns the raw principal of the simulator's canister id.
func canisterRaw(t *testing.T, s *sim.Simulator, id string) []byte {
	t.Helper()
	for _, p := range s.Canisters() {
		if p.String() == id {
			return p.Raw
		}
	}
	t.Fatalf("canister %s is not on the simulator", id)
	return nil
}

// tamperArtifact overwrites the first file of canister's artifact in the
// stored backup name with bytes that differ in one place, keeping the
// recorded SHA-256 (as silent corruption or a malicious writer would), and
// returns the object's key in the store (below the store's prefix).
func tamperArtifact(ctx context.Context, t *testing.T, srv *seaweed.Server, bucket, prefix, name, local, canister string) string {
	t.Helper()
	var file string
	require.NoError(t, filepath.WalkDir(filepath.Join(local, canister), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && file == "" {
			file = p
		}
		return err
	}))
	require.NotEmpty(t, file)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NotEmpty(t, b)
	sum := sha256.Sum256(b)
	b[len(b)/2] ^= 0xff
	rel, err := filepath.Rel(local, file)
	require.NoError(t, err)
	key := name + "/" + filepath.ToSlash(rel)
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.PutObject(ctx, bucket, prefix+key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{
		UserMetadata: map[string]string{s3store.MetaSHA256: hex.EncodeToString(sum[:])}})
	require.NoError(t, err)
	return key
}
