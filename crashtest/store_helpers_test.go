package crashtest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/internal/simfleet"
)

// The store scenario's names: the [stores.offsite] table of its
// canic.toml, the one bucket of every subtest (SeaweedFS gives each bucket
// its own volumes and runs out after a few, so subtests get prefixes).
const (
	storeName   = "offsite"
	storeBucket = "canic-crash"
	// storePartMiB is the store's part_size_mib.
	storePartMiB = 5
	// storeFleetSize is each canister's memory in the store scenario: its
	// wasm memory (three quarters, 6 MiB) is an artifact file that takes
	// two 5 MiB parts, so every backup passes store.part-uploaded 6 times.
	storeFleetSize = 8 << 20
)

// weedUses is how many fleets one SeaweedFS server serves before the next
// one is started. Every backup writes about 40 MiB (artifacts, multipart
// parts, the copy into place) that deletes would not give back before a
// vacuum, and the server's volumes (16 of 256 MiB, a share of them per
// bucket) take about 40 runs; a full matrix needs about 200.
const weedUses = 25

// weedShare hands out SeaweedFS servers to one TestCrash run's fleets:
// the first is started on first use (about 10 s); after weedUses fleets
// the next one is, and a retired server is stopped once its last fleet's
// test ended. The cleanup of the test that made the share stops the rest.
type weedShare struct {
	logf func(string, ...any)
	mu   sync.Mutex
	cur  *weedServer
	live []*weedServer
	next int
}

// weedServer is one server of a share and its fleets.
type weedServer struct {
	srv           *seaweed.Server
	handed, users int
}

// newWeedShare returns a share that starts no server until asked; t's
// cleanup stops the servers still running.
func newWeedShare(t *testing.T) *weedShare {
	w := &weedShare{logf: t.Logf}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, ws := range w.live {
			ws.srv.Stop()
		}
		w.live, w.cur = nil, nil
	})
	return w
}

// warm starts the first server in the background, so its start (about
// 10 s) overlaps work done before the store scenario needs it; server
// waits for it (a failed start is retried there and reported).
func (w *weedShare) warm() {
	go func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.cur != nil {
			return
		}
		if srv, err := fleettest.StartWeed(w.logf, storeBucket); err == nil {
			w.cur = &weedServer{srv: srv}
			w.live = append(w.live, w.cur)
		}
	}()
}

// server returns a running server for t's fleet (starting one, with the
// bucket, when none is current or the current one served weedUses
// fleets) and a fresh bucket prefix; the server is t's until t ends.
func (w *weedShare) server(t *testing.T) (*seaweed.Server, string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil || w.cur.handed >= weedUses {
		srv, err := fleettest.StartWeed(w.logf, storeBucket)
		require.NoError(t, err, "SeaweedFS (make weed)")
		w.retire(w.cur)
		w.cur = &weedServer{srv: srv}
		w.live = append(w.live, w.cur)
	}
	ws := w.cur
	ws.handed++
	ws.users++
	w.next++
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		ws.users--
		if ws != w.cur {
			w.retire(ws)
		}
	})
	return ws.srv, "run-" + strconv.Itoa(w.next) + "/"
}

// retire stops ws if it is no longer current and serves no fleet (w.mu
// held).
func (w *weedShare) retire(ws *weedServer) {
	if ws == nil || ws.users > 0 {
		return
	}
	for i, l := range w.live {
		if l == ws {
			ws.srv.Stop()
			w.live = append(w.live[:i], w.live[i+1:]...)
			return
		}
	}
}

// storeFleet is a simulator fleet (root + 3 children of storeFleetSize)
// whose canic.toml has the agent environment and the S3 store "offsite":
// the shared bucket under the fleet's own prefix.
type storeFleet struct {
	*fleettest.Fleet
	srv    *seaweed.Server
	prefix string
	// cache is XDG_CACHE_HOME of every run (the staging directories).
	cache string
	// env is what every run gets: the S3 credentials and cache.
	env []string
}

// startStoreFleet starts a fresh simulator and writes its canic.toml with
// the store under a new prefix of the shared bucket.
func startStoreFleet(t *testing.T, w *weedShare) *storeFleet {
	t.Helper()
	srv, prefix := w.server(t)
	f := fleettest.Start(t, crashFleet(storeFleetSize), simfleet.ConfigOptions{AgentExtra: crashAgentExtra()})
	require.Len(t, f.Children, 3)
	f.AppendConfig(t, fleettest.S3StoreTOML(storeName, srv.Endpoint, storeBucket, prefix, storePartMiB))
	sf := &storeFleet{Fleet: f, srv: srv, prefix: prefix, cache: filepath.Join(f.Dir, "cache")}
	sf.env = fleettest.StoreEnv(srv, f.Dir, sf.cache)
	return sf
}

// run runs the binary in the fleet's directory with the store environment
// plus extra.
func (sf *storeFleet) run(t *testing.T, extra []string, args ...string) result {
	t.Helper()
	return canic.Run(t, sf.Dir, append(append([]string{}, sf.env...), extra...), args...)
}

// createArgs is `backup create --store offsite` through the agent executor
// into the default staging directory.
func (sf *storeFleet) createArgs() []string {
	return []string{"backup", "create", "--config", sf.Config, "--env", envAgent, "--store", storeName}
}

// resumeArgs is `backup resume --store offsite --backup name`, as the
// docs name it for a run whose process died.
func (sf *storeFleet) resumeArgs(name string) []string {
	return []string{"backup", "resume", "--store", storeName, "--backup", name, "--config", sf.Config, "--env", envAgent}
}

// stagingDirs lists the store's staging directories under the cache.
func (sf *storeFleet) stagingDirs(t *testing.T) []string {
	t.Helper()
	return fleettest.StagingDirs(t, sf.cache, storeName)
}

// bucketBackup is one backup found under the fleet's prefix.
type bucketBackup struct {
	objects     int
	hasManifest bool
}

// bucket lists the prefix: its backups (first key segments, lock keys and
// reserved names left out) and every object's size by key (relative to
// the prefix; s3store's multipart staging objects are ".canic-incoming/KEY").
func (sf *storeFleet) bucket(t *testing.T) (map[string]bucketBackup, map[string]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := sf.srv.Client()
	require.NoError(t, err)
	backups := map[string]bucketBackup{}
	sizes := map[string]int64{}
	for o := range c.ListObjects(ctx, storeBucket, minio.ListObjectsOptions{Prefix: sf.prefix, Recursive: true}) {
		require.NoError(t, o.Err)
		key := strings.TrimPrefix(o.Key, sf.prefix)
		sizes[key] = o.Size
		name, rel, ok := strings.Cut(key, "/")
		if !ok || name == "locks" || strings.HasPrefix(name, store.ReservedPrefix) {
			continue
		}
		b := backups[name]
		b.objects++
		b.hasManifest = b.hasManifest || rel == layout.ManifestFile
		backups[name] = b
	}
	return backups, sizes
}

// stagingLeft lists the multipart staging objects ("<reserved>incoming/KEY")
// left in sizes, checking that each is a leftover copy of the published
// object KEY (same size): storage a crash leaked, not data lost.
func stagingLeft(t *testing.T, sizes map[string]int64) []string {
	t.Helper()
	var left []string
	for key, n := range sizes {
		final, ok := strings.CutPrefix(key, store.ReservedPrefix+"incoming/")
		if !ok {
			continue
		}
		left = append(left, key)
		got, published := sizes[final]
		assert.True(t, published && got == n, "staging object %s (%d bytes) is a copy of the published %s (%d bytes)", key, n, final, got)
	}
	return left
}

// leaks counts, across parallel subtests, the kill points after which a
// finished multipart staging object was left in the bucket.
type leaks struct {
	mu   sync.Mutex
	keys []string
}

func (l *leaks) add(point string, keys []string) {
	if len(keys) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, point+" "+strings.Join(keys, ","))
}

// line says how many kill points leaked a staging object, and which.
func (l *leaks) line() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d of them left a finished multipart staging object in the bucket (a storage leak, no data lost) %v", len(l.keys), l.keys)
}

// lease reads the fleet's lease record from the bucket.
func (sf *storeFleet) lease(t *testing.T) store.LeaseRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := sf.srv.Client()
	require.NoError(t, err)
	key := sf.prefix + archive.FleetLockKey("crash")
	obj, err := c.GetObject(ctx, storeBucket, key, minio.GetObjectOptions{})
	require.NoError(t, err)
	defer obj.Close()
	b, err := io.ReadAll(obj)
	require.NoError(t, err, "lease %s", key)
	var r store.LeaseRecord
	require.NoError(t, wire.Unmarshal(b, &r), "lease %s: %s", key, b)
	return r
}
