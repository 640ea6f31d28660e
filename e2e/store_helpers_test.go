package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// Names of the stores storeConfig appends to a fleet's canic.toml.
const (
	storeOffsite = "offsite" // kind "s3": a SeaweedFS bucket behind the counting proxy
	storeLocal   = "local"   // kind "dir"
)

// weedShare is the SeaweedFS server shared by the tests running at one
// time: the first user starts it (about 10 s), the last one to end stops
// it. Its bucket e2eBucket is made once; each test's store has its own
// prefix. Test-only state, guarded by mu.
var weedShare struct {
	mu    sync.Mutex
	srv   *seaweed.Server
	users int
}

// weedServer returns a running SeaweedFS server (`weed server -s3` on
// loopback) for the test; the binary is the cached one (`make weed`) or is
// built once.
func weedServer(t *testing.T) *seaweed.Server {
	t.Helper()
	weedShare.mu.Lock()
	defer weedShare.mu.Unlock()
	if weedShare.srv == nil {
		srv, err := fleettest.StartWeed(t.Logf, e2eBucket)
		require.NoError(t, err, "SeaweedFS (make weed)")
		weedShare.srv = srv
	}
	weedShare.users++
	srv := weedShare.srv
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("weed log tail:\n%s", srv.LogTail(3000))
		}
		weedShare.mu.Lock()
		defer weedShare.mu.Unlock()
		weedShare.users--
		if weedShare.users == 0 {
			weedShare.srv.Stop()
			weedShare.srv = nil
		}
	})
	return srv
}

// s3Call is one request the proxy forwarded.
type s3Call struct {
	// Phase is the proxy's phase when the request arrived.
	Phase int
	// Kind classifies the request (see s3Kind).
	Kind string
	// Method and Path are the request's; UploadID and PartNumber its
	// multipart query parameters.
	Method, Path string
	UploadID     string
	PartNumber   int
	// Status is the server's answer (0: none reached the proxy).
	Status int
}

// s3Proxy is a reverse proxy in front of the S3 endpoint that records every
// request, so tests count part uploads. The Host header is passed through
// unchanged, so SigV4 signatures made for the proxy's address still match.
type s3Proxy struct {
	srv   *httptest.Server
	phase atomic.Int32
	// inFlight counts requests being forwarded.
	inFlight atomic.Int32
	mu       sync.Mutex
	calls    []*s3Call
}

type callKey struct{}

// startS3Proxy proxies to target (an http:// endpoint) until the test ends.
func startS3Proxy(t *testing.T, target string) *s3Proxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &s3Proxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		// A request whose client died (the killed run's) ends here; its
		// call keeps Status 0.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
		ModifyResponse: func(resp *http.Response) error {
			if c, ok := resp.Request.Context().Value(callKey{}).(*s3Call); ok {
				p.mu.Lock()
				c.Status = resp.StatusCode
				p.mu.Unlock()
			}
			return nil
		},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		c := &s3Call{Phase: int(p.phase.Load()), Kind: s3Kind(r), Method: r.Method, Path: r.URL.Path, UploadID: q.Get("uploadId")}
		c.PartNumber, _ = strconv.Atoi(q.Get("partNumber"))
		p.mu.Lock()
		p.calls = append(p.calls, c)
		p.mu.Unlock()
		p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// s3Kind classifies an S3 request: part, copy-part, put, copy, initiate,
// complete, abort, list-parts, list-uploads, list, get, head, delete,
// other.
func s3Kind(r *http.Request) string {
	q := r.URL.Query()
	copySrc := r.Header.Get("X-Amz-Copy-Source") != ""
	switch r.Method {
	case http.MethodPut:
		switch {
		case q.Has("partNumber") && copySrc:
			return "copy-part"
		case q.Has("partNumber"):
			return "part"
		case copySrc:
			return "copy"
		}
		return "put"
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return "initiate"
		case q.Has("uploadId"):
			return "complete"
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			return "abort"
		}
		return "delete"
	case http.MethodGet:
		switch {
		case q.Has("uploadId"):
			return "list-parts"
		case q.Has("uploads"):
			return "list-uploads"
		case strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0:
			return "list"
		}
		return "get"
	case http.MethodHead:
		return "head"
	}
	return "other"
}

// URL is the proxy's endpoint.
func (p *s3Proxy) URL() string { return p.srv.URL }

// setPhase tags the requests arriving from now on.
func (p *s3Proxy) setPhase(n int) { p.phase.Store(int32(n)) }

// snapshot copies the recorded calls.
func (p *s3Proxy) snapshot() []s3Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]s3Call, len(p.calls))
	for i, c := range p.calls {
		out[i] = *c
	}
	return out
}

// count counts the calls of kind in phase (phase < 0: any).
func (p *s3Proxy) count(phase int, kind string) int {
	n := 0
	for _, c := range p.snapshot() {
		if c.Kind == kind && (phase < 0 || c.Phase == phase) {
			n++
		}
	}
	return n
}

// parts returns, per upload id, the part numbers of phase's part uploads;
// with okOnly only those the server answered 2xx.
func (p *s3Proxy) parts(phase int, okOnly bool) map[string][]int {
	out := map[string][]int{}
	for _, c := range p.snapshot() {
		if c.Kind != "part" || c.Phase != phase || (okOnly && (c.Status < 200 || c.Status > 299)) {
			continue
		}
		out[c.UploadID] = append(out[c.UploadID], c.PartNumber)
	}
	for _, ns := range out {
		sort.Ints(ns)
	}
	return out
}

// storeFleet is a simulator fleet whose canic.toml also has the stores
// "offsite" (a bucket of a real SeaweedFS server, reached through a
// counting proxy) and "local" (a directory).
type storeFleet struct {
	*fleettest.Fleet
	weed  *seaweed.Server
	proxy *s3Proxy
	// bucket is shared by the tests (SeaweedFS gives every bucket its own
	// volumes, so a few buckets exhaust the server's); each test's store
	// has its own prefix.
	bucket, prefix string
	// local is the dir store's path.
	local string
	// env is the environment every CLI run gets: the S3 credentials and
	// XDG_CACHE_HOME (staging and fetch directories) under the test's dir.
	env []string
	// cache is that XDG_CACHE_HOME.
	cache string
}

// e2eBucket is the bucket of every test's store.
const e2eBucket = "canic-e2e"

var prefixSeq atomic.Int32

// startStoreFleet starts a simulator with fl, SeaweedFS (shared), the
// bucket with a fresh prefix and the proxy, and writes the canic.toml with both stores.
func startStoreFleet(t *testing.T, fl sim.Fleet) *storeFleet {
	t.Helper()
	f := fleettest.Start(t, sim.Options{Fleet: fl}, simfleet.ConfigOptions{ICPBinary: icpBinary(t), AgentExtra: fleettest.FastRetry()})
	sf := &storeFleet{Fleet: f, weed: weedServer(t), local: filepath.Join(f.Dir, "store-local"), cache: filepath.Join(f.Dir, "cache")}
	sf.bucket, sf.prefix = e2eBucket, fmt.Sprintf("%s-%d/", t.Name(), prefixSeq.Add(1))
	sf.proxy = startS3Proxy(t, sf.weed.Endpoint)
	sf.env = fleettest.StoreEnv(sf.weed, f.Dir, sf.cache)
	f.AppendConfig(t, fleettest.S3StoreTOML(storeOffsite, sf.proxy.URL(), sf.bucket, sf.prefix, 5)+
		"\n[stores."+storeLocal+"]\nkind = \"dir\"\npath = "+strconv.Quote(sf.local)+"\n")
	return sf
}

// run runs the binary in the fleet's directory with the store environment
// plus extra.
func (sf *storeFleet) run(t *testing.T, extra []string, args ...string) result {
	t.Helper()
	return canic.Run(t, sf.Dir, append(append([]string{}, sf.env...), extra...), args...)
}

// start starts the binary like run; finish it with wait.
func (sf *storeFleet) start(t *testing.T, extra []string, args ...string) *fleettest.Running {
	t.Helper()
	return canic.Start(t, sf.Dir, append(append([]string{}, sf.env...), extra...), args...)
}

// createArgs are `backup create --store offsite` through the agent executor.
func (sf *storeFleet) createArgs(extra ...string) []string {
	return append([]string{"backup", "create", "--config", sf.Config, "--env", envAgent, "--store", storeOffsite}, extra...)
}

// direct opens the bucket straight (not through the proxy) with the
// server's credentials.
func (sf *storeFleet) direct(t *testing.T) *s3store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := s3store.Open(ctx, "direct", store.Settings{Kind: store.KindS3, Endpoint: sf.weed.Endpoint, Bucket: sf.bucket,
		Prefix: sf.prefix, Region: "us-east-1", PathStyle: true}, s3store.Options{Credentials: credentials.NewStaticV4(sf.weed.AccessKey, sf.weed.SecretKey, "")})
	require.NoError(t, err)
	return s
}

// backupsInBucket lists the bucket's backups (first key segments, the
// lock prefix left out) with their object counts and whether each has its
// manifest.
func (sf *storeFleet) backupsInBucket(t *testing.T) map[string]bucketBackup {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	objs, err := sf.direct(t).List(ctx, "")
	require.NoError(t, err)
	out := map[string]bucketBackup{}
	for _, o := range objs {
		name, rel, ok := strings.Cut(o.Key, "/")
		if !ok || name == "locks" {
			continue
		}
		b := out[name]
		b.Objects++
		b.Bytes += o.Size
		b.HasManifest = b.HasManifest || rel == "fleet-backup-manifest.json"
		out[name] = b
	}
	return out
}

// bucketBackup is one backup found in the bucket.
type bucketBackup struct {
	Objects     int
	Bytes       int64
	HasManifest bool
}

// settledServerParts waits until the proxy forwards nothing and the
// server's unfinished uploads stop changing (a killed client's last
// requests may still be completing), then returns them.
func (sf *storeFleet) settledServerParts(t *testing.T) map[string]serverUpload {
	t.Helper()
	require.Eventually(t, func() bool { return sf.proxy.inFlight.Load() == 0 }, time.Minute, 20*time.Millisecond)
	prev := sf.serverParts(t)
	for i := 0; i < 60; i++ {
		time.Sleep(500 * time.Millisecond)
		cur := sf.serverParts(t)
		if reflect.DeepEqual(prev, cur) {
			return cur
		}
		prev = cur
	}
	t.Fatalf("the server's multipart uploads never settled: %v", prev)
	return nil
}

// serverParts asks the server (not through the proxy) for the unfinished
// multipart uploads below the store's prefix: per upload id, its key
// relative to the prefix and the part numbers the server holds.
func (sf *storeFleet) serverParts(t *testing.T) map[string]serverUpload {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := sf.weed.Client()
	require.NoError(t, err)
	out := map[string]serverUpload{}
	for u := range c.ListIncompleteUploads(ctx, sf.bucket, sf.prefix, true) {
		require.NoError(t, u.Err)
		res, err := minio.Core{Client: c}.ListObjectParts(ctx, sf.bucket, u.Key, u.UploadID, 0, 10000)
		require.NoError(t, err)
		su := serverUpload{Key: strings.TrimPrefix(u.Key, sf.prefix)}
		for _, p := range res.ObjectParts {
			su.Parts = append(su.Parts, p.PartNumber)
		}
		sort.Ints(su.Parts)
		out[u.UploadID] = su
	}
	return out
}

// serverUpload is an unfinished multipart upload on the server.
type serverUpload struct {
	Key   string
	Parts []int
}

// publishedRe matches the line a published backup prints:
// `published NAME to STORE (N objects, X MiB in Ys, Z MiB/s)`.
var publishedRe = regexp.MustCompile(`published (\S+) to (\S+) \((\d+) objects, ([\d.]+) MiB in ([^,]+), ([\d.]+) MiB/s\)`)

// published finds the published line in a run's output and returns the
// backup's name and object count.
func published(t *testing.T, r result) (string, int) {
	t.Helper()
	m := publishedRe.FindStringSubmatch(r.Stdout + r.Stderr)
	require.NotNil(t, m, "no published line: %s", r)
	n, err := strconv.Atoi(m[3])
	require.NoError(t, err)
	return m[1], n
}
