package s3store_test

import (
	"bufio"
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
