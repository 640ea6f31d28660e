package s3store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/internal/seaweed"
)

// server is the SeaweedFS instance shared by this package's tests; it is
// set once in TestMain before any test runs and only read afterwards.
var server *seaweed.Server

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) != "" {
		os.Exit(helperMain())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	root, err := seaweed.RepoRoot()
	if err != nil {
		logf("s3store tests: %v", err)
		return 1
	}
	bin, err := seaweed.Binary(ctx, root, logf)
	if err != nil {
		logf("s3store tests: SeaweedFS unavailable: %v", err)
		return 1
	}
	server, err = seaweed.Start(ctx, bin, seaweed.Options{Logf: logf})
	if err != nil {
		logf("s3store tests: %v", err)
		return 1
	}
	defer server.Stop()
	if err := server.CreateBucket(ctx, bucket); err != nil {
		logf("s3store tests: create bucket: %v", err)
		return 1
	}
	return m.Run()
}
