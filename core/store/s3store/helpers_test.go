package s3store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
)

func timeNow() time.Time { return time.Now() }

// Environment of a lock helper process (the re-executed test binary).
const (
	envHelper   = "CANIC_S3STORE_HELPER" // host identity; set only in helpers
	envEndpoint = "CANIC_S3STORE_ENDPOINT"
	envPrefix   = "CANIC_S3STORE_PREFIX"
	helperTTL   = 3 * time.Second
	helperRenew = 500 * time.Millisecond
)

// helperMain acquires the lease lock "locks/run" as host $CANIC_S3STORE_HELPER
// with credentials from the environment, prints "TAKEOVER <json>" when it
// replaced an expired holder, then "ACQUIRED <json>" or "LOCKED <error>",
// and holds the lock (renewing) until its stdin closes, then releases it.
func helperMain() int {
	if os.Getenv(envHelper) == "upload" {
		return uploadHelper()
	}
	host := os.Getenv(envHelper)
	st := store.Settings{Kind: store.KindS3, Endpoint: os.Getenv(envEndpoint), Bucket: bucket,
		Prefix: os.Getenv(envPrefix), Region: "us-east-1", PathStyle: true}
	ctx := context.Background()
	s, err := s3store.Open(ctx, "lock", st, s3store.Options{})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	l, err := store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: host, Purpose: "backup run", TTL: helperTTL})
	if errors.Is(err, store.ErrLocked) {
		fmt.Println("LOCKED", err)
		return 3
	}
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	if prev := l.TakenOver(); prev != nil {
		b, _ := json.Marshal(prev)
		fmt.Println("TAKEOVER", string(b))
	}
	b, _ := json.Marshal(l.Record())
	fmt.Println("ACQUIRED", string(b))
	kctx, stop := context.WithCancel(ctx)
	lost := l.KeepAlive(kctx, helperRenew)
	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin)); close(stdinClosed) }()
	select {
	case <-stdinClosed:
		stop()
		<-lost
		if err := l.Release(ctx); err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		fmt.Println("RELEASED")
		return 0
	case err := <-lost:
		stop()
		fmt.Println("LOST", err)
		return 4
	}
}

// blockAfter yields n bytes of r and then blocks forever, so the process
// is caught mid-upload by the parent's SIGKILL.
type blockAfter struct {
	r io.Reader
	n int
}

func (b *blockAfter) Read(p []byte) (int, error) {
	if b.n <= 0 {
		select {}
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

// uploadHelper starts a 6-part upload of resumeData() to "killed.bin" that
// stalls after 3 parts.
func uploadHelper() int {
	st := store.Settings{Kind: store.KindS3, Endpoint: os.Getenv(envEndpoint), Bucket: bucket,
		Prefix: os.Getenv(envPrefix), Region: "us-east-1", PathStyle: true, PartSizeMiB: 5}
	s, err := s3store.Open(context.Background(), "upload", st, s3store.Options{Concurrency: 1})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	_, err = s.Put(context.Background(), "killed.bin", &blockAfter{r: bytes.NewReader(resumeData()), n: 3 * resumePart}, store.PutOptions{})
	fmt.Println("ERROR unexpected end of upload", err)
	return 1
}

const resumePart = 5 << 20

func resumeData() []byte { return randomData(5*resumePart + 4321) }
