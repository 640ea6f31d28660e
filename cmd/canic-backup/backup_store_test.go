package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/core/backup"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
)

// Store names of the test config.
const (
	testStoreS3  = "offsite"
	testStoreDir = "local"
	testFleet    = "st"
)

// publishedLineRe matches `published NAME to STORE (N objects, X MiB in
// Ys, Z MiB/s)`.
var publishedLineRe = regexp.MustCompile(`(?m)^published (\S+) to (\S+) \((\d+) objects, ([\d.]+) MiB in ([\d.]+)s, ([\d.]+) MiB/s\)$`)

// storeFixture is a simulator fleet (through the built-in agent driver)
// whose canic.toml also has a SeaweedFS bucket store and a dir store.
type storeFixture struct {
	info  sim.Info
	cfg   string
	cache string
	local string
	// vars is the environment the app gets (getenv).
	vars   map[string]string
	weed   *seaweed.Server
	bucket string
	// lastCreate is when the last create started: backup names have a
	// one-second resolution, so two creates must not share a second.
	lastCreate time.Time
}

// startStoreFixture starts SeaweedFS and the simulator. The S3
// credentials are set in the process environment (t.Setenv): the s3
// backend reads them there, as minio-go's chain does.
func startStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := seaweed.RepoRoot()
	require.NoError(t, err)
	bin, err := seaweed.Binary(ctx, root, t.Logf)
	require.NoError(t, err)
	weed, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(weed.Stop)
	f := &storeFixture{weed: weed, bucket: "cmd-store"}
	require.NoError(t, weed.CreateBucket(ctx, f.bucket))
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", weed.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", weed.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))

	info, stop := startSimCLI(t, filepath.Join(dir, sim.InfoFileName),
		"--fleet", testFleet, "--children", "2", "--depth", "1", "--size", "64KiB", "--state-dir", dir)
	t.Cleanup(func() { stop() })
	f.info = info
	f.cfg = filepath.Join(dir, "canic.toml")
	require.Eventually(t, func() bool { _, err := os.Stat(f.cfg); return err == nil }, 10*time.Second, 10*time.Millisecond)
	f.local = filepath.Join(dir, "store-local")
	f.cache = filepath.Join(dir, "cache")
	q := strconv.Quote
	appendFile(t, f.cfg, "\n[stores."+testStoreS3+"]\nkind = \"s3\"\nendpoint = "+q(weed.Endpoint)+"\nbucket = "+q(f.bucket)+
		"\nregion = \"us-east-1\"\npath_style = true\n"+
		"\n[stores."+testStoreDir+"]\nkind = \"dir\"\npath = "+q(f.local)+"\n")
	f.vars = map[string]string{"XDG_CACHE_HOME": f.cache}
	return f
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fh.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, fh.Close())
}

// run runs the app with the fixture's environment plus extra variables.
func (f *storeFixture) run(t *testing.T, extra map[string]string, args ...string) result {
	t.Helper()
	vars := map[string]string{}
	for k, v := range f.vars {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	return runApp(t, vars, args...)
}

// create runs `backup create --env sim` with args.
func (f *storeFixture) create(t *testing.T, extra map[string]string, args ...string) result {
	t.Helper()
	// Each create gets its own default name (fleet-<fleet>-<UTC second>):
	// since plugins exit at once (no 2 s SIGKILL wait) two creates can
	// start within one second.
	for time.Now().Unix() == f.lastCreate.Unix() {
		time.Sleep(10 * time.Millisecond)
	}
	f.lastCreate = time.Now()
	return f.run(t, extra, append([]string{"backup", "create", "--config", f.cfg, "--env", "sim"}, args...)...)
}

// s3 opens the bucket store directly.
func (f *storeFixture) s3(t *testing.T) store.Store {
	t.Helper()
	s, err := s3store.Open(context.Background(), testStoreS3, store.Settings{Kind: store.KindS3, Endpoint: f.weed.Endpoint,
		Bucket: f.bucket, Region: "us-east-1", PathStyle: true}, s3store.Options{})
	require.NoError(t, err)
	return s
}

// stopCalls is the simulator's count of stop_canister calls so far.
func (f *storeFixture) stopCalls(t *testing.T) uint64 {
	t.Helper()
	resp, err := http.Get(f.info.CountersURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	var c sim.Counters
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	return c.Calls["stop_canister"]
}

// statuses are the fleet's non-root canisters' statuses.
func (f *storeFixture) statuses(t *testing.T) map[string]pluginapi.RunStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := agent.New(ctx, agent.Settings{URL: f.info.URL, RootKey: f.info.RootKeyHex, IdentityPEM: f.info.ControllerPEM}, nil)
	require.NoError(t, err)
	out := map[string]pluginapi.RunStatus{}
	for _, id := range f.info.CanisterIDs[1:] {
		st, err := e.CanisterStatus(ctx, pluginapi.Target{CanisterID: id})
		require.NoError(t, err)
		out[id] = st.Status
	}
	return out
}

func (f *storeFixture) allRunning() map[string]pluginapi.RunStatus {
	out := map[string]pluginapi.RunStatus{}
	for _, id := range f.info.CanisterIDs[1:] {
		out[id] = pluginapi.StatusRunning
	}
	return out
}

// stagingDirs lists the staging directories of the bucket store.
func (f *storeFixture) stagingDirs(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(f.cache, "canic-backup", "staging", testStoreS3, "*"))
	require.NoError(t, err)
	return m
}

// publishedName checks the published line of r and returns the name.
func publishedName(t *testing.T, r result, storeURL string) (string, int) {
	t.Helper()
	m := publishedLineRe.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "no published line: stdout %q stderr %q", r.stdout, r.stderr)
	assert.Equal(t, storeURL, m[2])
	n, err := strconv.Atoi(m[3])
	require.NoError(t, err)
	return m[1], n
}

// TestBackupStoreS3 backs the simulator's fleet up into a real SeaweedFS
// bucket and checks the store wiring of create, resume and verify: the
// published line, the staging directory removed, verify from the bucket
// (whole and sampled), a tampered object failing verify with exit 3, a
// fleet lease held by another host refusing create before anything is
// stopped, an expired lease taken over with the takeover logged, and a
// resume of a missing staging directory.
func TestBackupStoreS3(t *testing.T) {
	f := startStoreFixture(t)
	s := f.s3(t)
	url := s.String()

	r := f.create(t, nil, "--store", testStoreS3)
	require.Equal(t, exitOK, r.code, "stdout %s\nstderr %s", r.stdout, r.stderr)
	assert.Regexp(t, testFleet+`\s+local\s+execute\s+complete\s+non-root-fleet\s+2\s`, r.stdout)
	name, objects := publishedName(t, r, url)
	assert.True(t, strings.HasPrefix(name, "fleet-"+testFleet+"-"), name)
	assert.Empty(t, f.stagingDirs(t), "the staging directory is removed once published")
	list, err := s.List(context.Background(), name+"/")
	require.NoError(t, err)
	assert.Len(t, list, objects, "the published line counts the backup's objects")
	_, err = s.Stat(context.Background(), name+"/"+layout.ManifestFile)
	require.NoError(t, err, "the manifest is published")
	assert.Equal(t, f.allRunning(), f.statuses(t))

	t.Run("verify", func(t *testing.T) {
		r := f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "2 durable artifacts")
		assert.Contains(t, r.stdout, "sampled 2 of 2 artifacts")

		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name, "--sample", "50", "--seed", "1")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "sampled 1 of 2 artifacts (seed 1)")

		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name, "--sample", "50", "--seed", "1", "--json")
		require.Equal(t, exitOK, r.code, r.stderr)
		var rep struct {
			Sampled int   `json:"sampled_artifacts"`
			Total   int   `json:"total_artifacts"`
			Seed    int64 `json:"seed"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
		assert.Equal(t, 1, rep.Sampled)
		assert.Equal(t, 2, rep.Total)
		assert.Equal(t, int64(1), rep.Seed)

		for _, bad := range []string{"0", "-5", "100.5"} {
			r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name, "--sample", bad)
			assert.Equal(t, exitUsage, r.code, bad)
			assert.Contains(t, r.stderr, "--sample must be a percentage in (0, 100], got "+strings.TrimPrefix(bad, "+"))
		}
		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "--backup")
	})

	t.Run("resume of a published backup", func(t *testing.T) {
		r := f.run(t, nil, "backup", "resume", "--config", f.cfg, "--store", testStoreS3, "--backup", name)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "backup "+name+" is already published to "+url)
	})

	t.Run("resume without staging directory", func(t *testing.T) {
		missing := "fleet-" + testFleet + "-20990101-000000"
		r := f.run(t, nil, "backup", "resume", "--config", f.cfg, "--store", testStoreS3, "--backup", missing)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, filepath.Join(f.cache, "canic-backup", "staging", testStoreS3, missing))
		assert.Contains(t, r.stderr, "cross-host resume of an unfinished run needs that host's staging directory")
	})

	t.Run("lease held by another host", func(t *testing.T) {
		ctx := context.Background()
		held, err := store.AcquireLease(ctx, s, archive.FleetLockKey(testFleet),
			store.LeaseOptions{Host: "other-host", PID: 777, Purpose: "backup create elsewhere", TTL: time.Hour})
		require.NoError(t, err)
		stops := f.stopCalls(t)
		r := f.create(t, map[string]string{envHost: "this-host"}, "--store", testStoreS3)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "is held by host other-host pid 777 since ")
		assert.Contains(t, r.stderr, "lease expires at "+held.Record().ExpiresAt)
		assert.NotContains(t, r.stdout, "published")
		assert.Equal(t, stops, f.stopCalls(t), "a refused create stops no canister")
		assert.Equal(t, f.allRunning(), f.statuses(t))
		assert.Empty(t, f.stagingDirs(t), "a refused create stages nothing")
		require.NoError(t, held.Release(ctx))
	})

	t.Run("expired lease taken over", func(t *testing.T) {
		ctx := context.Background()
		past := func() time.Time { return time.Now().Add(-time.Hour) }
		_, err := store.AcquireLease(ctx, s, archive.FleetLockKey(testFleet),
			store.LeaseOptions{Host: "dead-host", PID: 4242, Purpose: "backup create", TTL: time.Millisecond, Now: past})
		require.NoError(t, err)
		r := f.create(t, map[string]string{envHost: "this-host", envLockTTL: "20s"}, "--store", testStoreS3)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Regexp(t, `(?m)^took over expired lock `+regexp.QuoteMeta(archive.FleetLockKey(testFleet))+` in `+regexp.QuoteMeta(url)+
			`: held by host dead-host pid 4242 since `, r.stderr)
		second, _ := publishedName(t, r, url)
		assert.NotEqual(t, name, second)
		rec := leaseRecord(t, s)
		assert.Equal(t, "this-host", rec.Host)
		assert.True(t, rec.Released, "the lease is released on the way out")
	})

	t.Run("paused run resumed and published", func(t *testing.T) {
		r := f.create(t, nil, "--store", testStoreS3, "--max-steps", "2")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "paused")
		assert.NotContains(t, r.stdout, "published")
		staged := f.stagingDirs(t)
		require.Len(t, staged, 1)
		paused := filepath.Base(staged[0])
		assert.Contains(t, r.stderr, "backup "+paused+" is not published to "+url+" until it completes: run `canic-backup backup resume --store "+
			testStoreS3+" --backup "+paused+" --config "+f.cfg+" --env sim`")

		// Leftovers of killed uploads in the store's bookkeeping: this
		// backup's are swept by the publish that completes it, another
		// backup's are not touched.
		mc, err := f.weed.Client()
		require.NoError(t, err)
		for _, k := range []string{".canic-incoming/" + paused + "/x.bin", ".canic-incoming/other-backup/y.bin"} {
			_, err = mc.PutObject(context.Background(), f.bucket, k, strings.NewReader("left"), 4, minio.PutObjectOptions{})
			require.NoError(t, err)
		}

		r = f.run(t, nil, "backup", "resume", "--config", f.cfg, "--env", "sim", "--store", testStoreS3, "--backup", paused, "--json-lines")
		require.Equal(t, exitOK, r.code, r.stderr)
		var leftovers []string
		for oi := range mc.ListObjects(context.Background(), f.bucket, minio.ListObjectsOptions{Prefix: ".canic-incoming/", Recursive: true}) {
			require.NoError(t, oi.Err)
			leftovers = append(leftovers, oi.Key)
		}
		assert.Equal(t, []string{".canic-incoming/other-backup/y.bin"}, leftovers, "the completing publish swept its own leftovers only")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.GreaterOrEqual(t, len(lines), 2)
		var ev struct {
			Type   string                `json:"type"`
			Result archive.PublishReport `json:"result"`
		}
		require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-2]), &ev))
		assert.Equal(t, "published", ev.Type)
		assert.Equal(t, paused, ev.Result.Name)
		assert.Contains(t, lines[len(lines)-1], `"type":"result"`, "the result is still the last line")
		assert.Empty(t, f.stagingDirs(t))
		_, err = s.Stat(context.Background(), paused+"/"+layout.ManifestFile)
		require.NoError(t, err)
		assert.Equal(t, f.allRunning(), f.statuses(t))
	})

	t.Run("artifacts stream to the store during the run", func(t *testing.T) {
		// Everything but finalize-manifest: each verified artifact is in
		// the bucket already and gone from the staging directory, which
		// holds only documents; the resume publishes them.
		ctx := context.Background()
		r := f.create(t, nil, "--store", testStoreS3, "--max-steps", "10")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "paused")
		staged := f.stagingDirs(t)
		require.Len(t, staged, 1)
		name := filepath.Base(staged[0])
		ents, err := os.ReadDir(staged[0])
		require.NoError(t, err)
		for _, e := range ents {
			assert.False(t, e.IsDir(), "no artifact is left in the staging directory: %s", e.Name())
		}
		for _, id := range f.info.CanisterIDs[1:] {
			objs, err := s.List(ctx, name+"/"+id+"/")
			require.NoError(t, err)
			assert.NotEmpty(t, objs, "artifact %s is in the bucket before the run completes", id)
		}
		_, err = s.Stat(ctx, name+"/"+layout.ManifestFile)
		require.ErrorIs(t, err, store.ErrNotFound, "no manifest before the run completes")

		r = f.run(t, nil, "backup", "resume", "--config", f.cfg, "--env", "sim", "--store", testStoreS3, "--backup", name)
		require.Equal(t, exitOK, r.code, r.stderr)
		got, objects := publishedName(t, r, url)
		assert.Equal(t, name, got)
		list, err := s.List(ctx, name+"/")
		require.NoError(t, err)
		assert.Len(t, list, objects, "the published line counts the artifacts the run sent too")
		assert.Empty(t, f.stagingDirs(t))
		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name)
		require.Equal(t, exitOK, r.code, r.stderr)
	})

	t.Run("keep-local keeps every artifact and publishes at the end", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "fleet-"+testFleet+"-kept")
		r := f.create(t, nil, "--store", testStoreS3, "--keep-local", "--out", out)
		require.Equal(t, exitOK, r.code, r.stderr)
		got, _ := publishedName(t, r, url)
		assert.Equal(t, filepath.Base(out), got)
		for _, id := range f.info.CanisterIDs[1:] {
			assert.DirExists(t, filepath.Join(out, id))
		}
		r = f.run(t, nil, "backup", "verify", "--dir", out)
		require.Equal(t, exitOK, r.code, r.stderr)
		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", got)
		require.Equal(t, exitOK, r.code, r.stderr)
	})

	t.Run("complete staging directory only published", func(t *testing.T) {
		// A complete backup directory in the staging place (as a run
		// killed while publishing leaves it): resume publishes it without
		// starting the executor, skipping the objects already there.
		const copied = "fleet-" + testFleet + "-20990101-000001"
		staging := filepath.Join(f.cache, "canic-backup", "staging", testStoreS3, copied)
		local := filepath.Join(t.TempDir(), "b")
		r := f.create(t, nil, "--out", local)
		require.Equal(t, exitOK, r.code, r.stderr)
		copyTree(t, local, staging)
		stops := f.stopCalls(t)
		r = f.run(t, nil, "backup", "resume", "--config", f.cfg, "--store", testStoreS3, "--backup", copied)
		require.Equal(t, exitOK, r.code, r.stderr)
		got, _ := publishedName(t, r, url)
		assert.Equal(t, copied, got)
		assert.Equal(t, stops, f.stopCalls(t), "publishing only runs nothing")
		assert.NoDirExists(t, staging)
		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", copied)
		require.Equal(t, exitOK, r.code, r.stderr)

		// Another backup staged under the same name: the store keeps the
		// published manifest, the publish fails naming the store and the
		// command that retries it, and the staging directory is kept.
		other := filepath.Join(t.TempDir(), "b")
		r = f.create(t, nil, "--out", other)
		require.Equal(t, exitOK, r.code, r.stderr)
		copyTree(t, other, staging)
		r = f.run(t, nil, "backup", "resume", "--config", f.cfg, "--store", testStoreS3, "--backup", copied)
		assert.Equal(t, exitFailure, r.code, r.stdout)
		assert.Contains(t, r.stderr, "publish backup "+copied+" from "+staging+" to store "+url)
		assert.Contains(t, r.stderr, "run `canic-backup backup resume --store "+testStoreS3+" --backup "+copied+" --config "+f.cfg+"` to retry the publish")
		assert.NotContains(t, r.stdout, "published")
		assert.DirExists(t, staging)
		require.NoError(t, os.RemoveAll(staging))
	})

	t.Run("tampered object", func(t *testing.T) {
		ctx := context.Background()
		objs, err := s.List(ctx, name+"/")
		require.NoError(t, err)
		var key string
		for _, o := range objs {
			if !isDocumentKey(name, o.Key) {
				key = o.Key
				break
			}
		}
		require.NotEmpty(t, key, "an artifact object: %v", objs)
		info, err := s.Stat(ctx, key)
		require.NoError(t, err)

		// Bytes replaced behind the store's back, its recorded SHA-256
		// kept: the object's own digest check names the key.
		mc, err := f.weed.Client()
		require.NoError(t, err)
		body := []byte("tampered behind the store's back")
		_, err = mc.PutObject(ctx, f.bucket, key, bytes.NewReader(body), int64(len(body)),
			minio.PutObjectOptions{UserMetadata: map[string]string{s3store.MetaSHA256: info.SHA256}})
		require.NoError(t, err)
		r := f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name)
		assert.Equal(t, exitVerifyFailed, r.code, r.stdout)
		assert.Contains(t, r.stderr, key)

		// Replaced through the store (a consistent object digest): the
		// artifact's checksum from the manifest catches it.
		_, err = s.Put(ctx, key, bytes.NewReader([]byte("tampered")), store.PutOptions{})
		require.NoError(t, err)
		r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", testStoreS3, "--backup", name)
		assert.Equal(t, exitVerifyFailed, r.code, r.stdout)
		assert.Contains(t, r.stderr, "checksum mismatch")
		assert.Contains(t, r.stderr, url)
	})
}

// isDocumentKey reports a key of one of the backup's documents.
func isDocumentKey(name, key string) bool {
	switch strings.TrimPrefix(key, name+"/") {
	case layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile, runner.DowntimeFile:
		return true
	}
	return false
}

// leaseRecord reads the fleet's lease record from s.
func leaseRecord(t *testing.T, s store.Store) store.LeaseRecord {
	t.Helper()
	obj, err := s.Get(context.Background(), archive.FleetLockKey(testFleet))
	require.NoError(t, err)
	defer obj.Close()
	var rec store.LeaseRecord
	require.NoError(t, json.NewDecoder(obj.Body).Decode(&rec))
	return rec
}

// TestBackupStoreDir: with a dir store the backup goes to <path>/<name>
// (no staging, no publish), the lease lives in the store, and verify
// --store checks that directory.
func TestBackupStoreDir(t *testing.T) {
	dir := t.TempDir()
	info, stop := startSimCLI(t, filepath.Join(dir, sim.InfoFileName),
		"--fleet", testFleet, "--children", "2", "--depth", "1", "--size", "64KiB", "--state-dir", dir)
	defer stop()
	cfg := filepath.Join(dir, "canic.toml")
	require.Eventually(t, func() bool { _, err := os.Stat(cfg); return err == nil }, 10*time.Second, 10*time.Millisecond)
	local := filepath.Join(dir, "store-local")
	appendFile(t, cfg, "\n[stores.local]\nkind = \"dir\"\npath = "+strconv.Quote(local)+"\n")

	r := runApp(t, nil, "backup", "create", "--config", cfg, "--env", "sim", "--store", "local")
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	assert.NotContains(t, r.stdout, "published")
	m := regexp.MustCompile(regexp.QuoteMeta(local) + `/(fleet-` + testFleet + `-\d{8}-\d{6})`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "the backup is under the store's path: %s", r.stdout)
	name := m[1]
	for _, id := range info.CanisterIDs[1:] {
		_, err := os.Stat(filepath.Join(local, name, id))
		assert.NoError(t, err, "artifact of %s", id)
	}
	b, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(archive.FleetLockKey(testFleet))))
	require.NoError(t, err, "the fleet's lease is in the dir store")
	assert.Contains(t, string(b), `"released": true`)

	r = runApp(t, nil, "backup", "verify", "--config", cfg, "--store", "local", "--backup", name)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2 durable artifacts")

	// --out still wins over the store's path.
	out := filepath.Join(dir, "elsewhere")
	r = runApp(t, nil, "backup", "create", "--config", cfg, "--env", "sim", "--store", "local", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	assert.Contains(t, r.stdout, out)
	r = runApp(t, nil, "backup", "verify", "--dir", out)
	require.Equal(t, exitOK, r.code, r.stderr)
}

// TestFleetLockLostCancelsRun: when another owner replaces the lease
// record, the next renewal fails, the run's context is cancelled and Lost
// names the lock; Release then does not touch the successor's record.
func TestFleetLockLostCancelsRun(t *testing.T) {
	root := t.TempDir()
	cfgPath := filepath.Join(root, "canic.toml")
	writeFile(t, cfgPath, "version = 1\n\n[stores.local]\nkind = \"dir\"\npath = "+strconv.Quote(filepath.Join(root, "store"))+"\n")
	var stderr bytes.Buffer
	e := env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(k string) string {
		return map[string]string{envLockTTL: "200ms", envHost: "h1"}[k]
	}, now: time.Now}
	sc := openTestStore(t, e, cfgPath, "local")

	lock, runCtx, err := lockFleet(context.Background(), e, sc, "demo", "backup create x")
	require.NoError(t, err)
	require.NoError(t, lock.Lost())
	// Another owner overwrites the record: the next renewal's compare-and-swap fails.
	_, err = sc.Store.Put(context.Background(), archive.FleetLockKey("demo"),
		strings.NewReader(`{"owner":"x","host":"h2","pid":1,"purpose":"p","started_at":"2026-01-01T00:00:00Z","renewed_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z","released":false}`),
		store.PutOptions{})
	require.NoError(t, err)
	select {
	case <-runCtx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the run's context was not cancelled when the lease was lost")
	}
	require.Error(t, lock.Lost())
	assert.Contains(t, lock.Lost().Error(), "lost the fleet lock "+archive.FleetLockKey("demo"))
	assert.ErrorIs(t, lock.Lost(), store.ErrLeaseLost)
	require.NoError(t, lock.Release(context.Background()))
	b, err := os.ReadFile(filepath.Join(root, "store", filepath.FromSlash(archive.FleetLockKey("demo"))))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"host":"h2"`, "the successor's record is left alone")
}

// openTestStore opens the store called name of the config at path.
func openTestStore(t *testing.T, e env, path, name string) *storeChoice {
	t.Helper()
	var sc *storeChoice
	app := newApp(e)
	app.Commands = nil
	app.Flags = []cli.Flag{configFlag(), storeFlag()}
	app.Action = func(c *cli.Context) error {
		var err error
		sc, err = selectStore(c, e, nil, nil)
		return err
	}
	require.NoError(t, app.Run([]string{"x", "--config", path, "--store", name}))
	require.NotNil(t, sc)
	return sc
}

// TestStoreRunHints: the resume command of a remote store's run names the
// store and backup (and a custom staging directory), with --config/--env.
func TestStoreRunHints(t *testing.T) {
	sc := &storeChoice{Name: "offsite", Settings: store.Settings{Kind: store.KindS3}}
	sr := &storeRun{sc: sc, Target: &backup.Target{Remote: true, Name: "fleet-demo-20260101-000000", Staging: "/tmp/s"}}
	assert.Equal(t, "--store offsite --backup fleet-demo-20260101-000000", sr.resumeArgs("/tmp/s"))
	sr.CustomStaging = true
	assert.Equal(t, "--store offsite --backup fleet-demo-20260101-000000 --dir /tmp/s", sr.resumeArgs("/tmp/s"))
	var none *storeRun
	assert.Equal(t, "--dir /b", none.resumeArgs("/b"))
	dirRun := &storeRun{sc: &storeChoice{Name: "local", Settings: store.Settings{Kind: store.KindDir, Path: "/p"}}, Target: &backup.Target{}}
	assert.Equal(t, "--dir /p/x", dirRun.resumeArgs("/p/x"))

	rep := &archive.PublishReport{Name: "n", Objects: 7, Bytes: 3 << 20, UploadedBytes: 3 << 20, Duration: 1500 * time.Millisecond}
	assert.Equal(t, "published n to s3://b/p/ (7 objects, 3.0 MiB in 1.5s, 2.0 MiB/s)", publishedLine(rep, "s3://b/p/"))
	assert.Regexp(t, publishedLineRe, publishedLine(rep, "s3://b/p/"))
}
