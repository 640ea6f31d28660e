package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
)

// Binaries built once for the package's tests: the canic-backup binary
// (which serves the built-in drivers when re-executed) and the localdir
// example plugin, also in a protocol-2 build.
var (
	canicBin   string
	localdirV1 string
	localdirV2 string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canic-backup-bins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildBinaries(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func buildBinaries(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	canicBin = filepath.Join(dir, "canic-backup")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", canicBin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build canic-backup: %w\n%s", err, out)
	}
	const pkg = "github.com/canic-backup/canic-backup/pluginapi/examples/localdir"
	var err error
	if localdirV1, err = plugintest.Build(ctx, dir, "localdir", pkg); err != nil {
		return err
	}
	localdirV2, err = plugintest.Build(ctx, dir, "localdir-v2", pkg, "-ldflags=-X main.protocolVersion=2")
	return err
}
