package seaweed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/canic-backup/canic-backup/internal/flock"
)

// Module and Version name the SeaweedFS release the tests run.
const (
	Module  = "github.com/seaweedfs/seaweedfs"
	Version = "v0.0.0-20261109003541-7506e5f91cd6"
)

// EnvBin overrides the weed binary.
const EnvBin = "CANIC_WEED_BIN"

// EnvCacheDir overrides the directory the built binary is cached in.
const EnvCacheDir = "CANIC_WEED_CACHE"

// CachePath returns where the binary is cached: $CANIC_WEED_CACHE, else the
// user cache dir (so fresh clones on one machine, CI's among them, share one
// build of several minutes), else .cache under the repository root.
func CachePath(repoRoot string) string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return filepath.Join(d, Version, "weed")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "canic-backup", "weed", Version, "weed")
	}
	return filepath.Join(repoRoot, ".cache", "weed", Version, "weed")
}

// Binary returns the weed binary, building it into the cache under
// repoRoot when missing. logf receives progress lines (build time, size).
func Binary(ctx context.Context, repoRoot string, logf func(string, ...any)) (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, p, err)
		}
		return p, nil
	}
	bin := CachePath(repoRoot)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	// One builder at a time across test processes.
	unlock, err := flock.Wait(filepath.Join(filepath.Dir(bin), ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	return bin, build(ctx, bin, logf)
}

func build(ctx context.Context, bin string, logf func(string, ...any)) error {
	start := time.Now()
	work, err := os.MkdirTemp("", "weed-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dl := exec.CommandContext(ctx, "go", "mod", "download", "-json", Module+"@"+Version)
	dl.Dir = work
	dl.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var out, stderr bytes.Buffer
	dl.Stdout, dl.Stderr = &out, &stderr
	if err := dl.Run(); err != nil {
		return fmt.Errorf("go mod download %s@%s: %w: %s%s", Module, Version, err, stderr.String(), out.String())
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download %s@%s: no module directory (%v %s)", Module, Version, err, mod.Error)
	}
	src := filepath.Join(work, "src")
	if err := exec.CommandContext(ctx, "cp", "-r", mod.Dir, src).Run(); err != nil {
		return fmt.Errorf("copy %s: %w", mod.Dir, err)
	}
	if err := exec.CommandContext(ctx, "chmod", "-R", "u+w", src).Run(); err != nil {
		return fmt.Errorf("chmod %s: %w", src, err)
	}
	logf("seaweed: building weed %s (takes minutes once; cached at %s)", Version, bin)
	tmp := bin + ".tmp"
	b := exec.CommandContext(ctx, "go", "build", "-o", tmp, "./weed")
	b.Dir = src
	b.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if outb, err := b.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s@%s/weed: %w: %s", Module, Version, err, outb)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return err
	}
	logf("seaweed: built %s in %s, %d MiB", bin, time.Since(start).Round(time.Second), fi.Size()>>20)
	return nil
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
