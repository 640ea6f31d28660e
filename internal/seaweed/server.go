package seaweed

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a running `weed server -s3` on loopback.
type Server struct {
	// Endpoint is the S3 gateway's URL, "http://127.0.0.1:PORT".
	Endpoint string
	// AccessKey and SecretKey are the admin identity's credentials.
	AccessKey, SecretKey string
	// Dir holds the server's data and log.
	Dir string

	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

// Options tune Start.
type Options struct {
	// Logf receives progress lines (default: none).
	Logf func(string, ...any)
	// Ready bounds the wait for the gateway (default 90s).
	Ready time.Duration
}

// freePorts reserves n distinct loopback ports (and releases them just
// before the server binds them).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start runs the server binary bin with data under a new temporary
// directory and waits until its S3 gateway serves signed requests. The
// free ports it picks come from the kernel's ephemeral range, where an
// outgoing connection (weed's own, or another test's) can take one before
// weed binds it; a start that fails so is retried with new ports.
func Start(ctx context.Context, bin string, o Options) (*Server, error) {
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		var s *Server
		if s, err = startOnce(ctx, bin, o); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
		if o.Logf != nil {
			o.Logf("seaweed: a port was taken before weed bound it (attempt %d of %d); starting again on new ports", attempt, startAttempts)
		}
	}
	return nil, err
}

// startAttempts bounds the restarts of Start after a port was taken.
const startAttempts = 3

func startOnce(ctx context.Context, bin string, o Options) (*Server, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Ready == 0 {
		o.Ready = 90 * time.Second
	}
	dir, err := os.MkdirTemp("", "weed-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, AccessKey: "canic" + randomHex(4), SecretKey: randomHex(16), log: &bytes.Buffer{}, done: make(chan struct{})}
	cfg := map[string]any{"identities": []any{map[string]any{
		"name":        "canic-test",
		"credentials": []any{map[string]string{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}}
	cfgJSON, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o600); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	p, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	args := []string{"server",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-dir=" + filepath.Join(dir, "data"),
		"-master.port=" + strconv.Itoa(p[0]), "-master.port.grpc=" + strconv.Itoa(p[1]),
		"-volume.port=" + strconv.Itoa(p[2]), "-volume.port.grpc=" + strconv.Itoa(p[3]),
		"-filer", "-filer.port=" + strconv.Itoa(p[4]), "-filer.port.grpc=" + strconv.Itoa(p[5]),
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port=" + strconv.Itoa(p[6]), "-s3.port.grpc=" + strconv.Itoa(p[7]),
		"-s3.localSocket=" + filepath.Join(dir, "s3.sock"),
		"-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config=" + cfgPath,
		"-master.telemetry=false",
		"-master.volumeSizeLimitMB=256", "-volume.max=16",
		"-master.peers=none",
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout = lockedWriter{s}
	s.cmd.Stderr = lockedWriter{s}
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(p[6])
	o.Logf("seaweed: starting %s on %s (data %s)", bin, s.Endpoint, dir)
	start := time.Now()
	if err := s.waitReady(ctx, o.Ready); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\nweed log tail:\n%s", err, s.LogTail(4000))
	}
	o.Logf("seaweed: ready after %s", time.Since(start).Round(time.Millisecond))
	return s, nil
}

type lockedWriter struct{ s *Server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// LogTail returns the last n bytes of the server's output.
func (s *Server) LogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.log.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Client returns a minio client signed with the admin identity.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Endpoint[len("http://"):], &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		BucketLookup: minio.BucketLookupPath,
		Region:       "us-east-1",
	})
}

// waitReady retries a probe bucket creation until the whole chain
// (gateway, filer, master, volume) answers.
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("weed server exited during startup")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = s.makeBucket(rctx, c, "canic-ready")
		cancel()
		if last == nil {
			return nil
		}
	}
	return fmt.Errorf("weed S3 gateway %s not ready after %s: %v", s.Endpoint, limit, last)
}

func (s *Server) makeBucket(ctx context.Context, c *minio.Client, name string) error {
	if ok, err := c.BucketExists(ctx, name); err == nil && ok {
		return nil
	}
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		return err
	}
	// A tiny write proves the volume servers are assigned too.
	_, err := c.PutObject(ctx, name, "probe", bytes.NewReader([]byte("ok")), 2, minio.PutObjectOptions{})
	if err != nil {
		return err
	}
	return c.RemoveObject(ctx, name, "probe", minio.RemoveObjectOptions{})
}

// CreateBucket makes a bucket (idempotent).
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	return s.makeBucket(ctx, c, name)
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10s) and removes
// its data directory.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		signalGroup(s.cmd.Process, false)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			signalGroup(s.cmd.Process, true)
			<-s.done
		}
	}
	os.RemoveAll(s.Dir)
}
