// Command release builds canic-backup's release archives reproducibly: the
// same commit gives the same bytes.
//
//	go run ./internal/tools/release [-out dist] [-targets linux/amd64,...]
//
// For each target it builds ./cmd/canic-backup with CGO_ENABLED=0,
// -trimpath, -buildvcs=false and an empty build id, the version (git
// describe) and commit stamped with -X; packs the binary with README.md and
// docs/*.md into canic-backup_<version>_<os>_<arch>.tar.gz (.zip for
// windows) with every mtime at SOURCE_DATE_EPOCH (default: the commit's
// time), owner 0 and a fixed order; writes a CycloneDX JSON SBOM of the
// modules the binary links (from its build info: versions and go.sum
// hashes); and lists the sha256 of every archive and SBOM in SHA256SUMS
// (`sha256sum -c SHA256SUMS` checks them). Linux binaries are checked to
// be static (no PT_INTERP, no dynamic section).
//
// It uses the network only as `go build` does (the module proxy).
package main

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// defaultTargets are the released platforms.
var defaultTargets = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

// config is one release run.
type config struct {
	out     string   // output directory (emptied of previous archives)
	targets []target // what to build
	version string   // stamped main.version, also in the archive names
	commit  string   // stamped main.commit
	epoch   time.Time
	gocache string // GOCACHE for the builds; "" keeps the caller's
	log     io.Writer
}

type target struct{ goos, goarch string }

func (t target) String() string { return t.goos + "/" + t.goarch }

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, log io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	out := fs.String("out", "dist", "output directory")
	targets := fs.String("targets", defaultTargets, "comma-separated GOOS/GOARCH list")
	version := fs.String("version", "", "version to stamp (default: git describe --tags --always --dirty)")
	gocache := fs.String("gocache", "", "GOCACHE for the builds (a fresh directory proves the build does not depend on the cache)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config{out: *out, gocache: *gocache, log: log}
	for _, s := range strings.Split(*targets, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(s), "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("-targets: %q is not GOOS/GOARCH", s)
		}
		cfg.targets = append(cfg.targets, target{goos, goarch})
	}
	var err error
	if cfg.version = *version; cfg.version == "" {
		if cfg.version, err = git(ctx, "describe", "--tags", "--always", "--dirty"); err != nil {
			return err
		}
	}
	if cfg.commit, err = git(ctx, "rev-parse", "HEAD"); err != nil {
		return err
	}
	if cfg.epoch, err = sourceDateEpoch(ctx); err != nil {
		return err
	}
	return release(ctx, cfg)
}

// sourceDateEpoch is $SOURCE_DATE_EPOCH, or the HEAD commit's time.
func sourceDateEpoch(ctx context.Context) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		var err error
		if s, err = git(ctx, "log", "-1", "--format=%ct", "HEAD"); err != nil {
			return time.Time{}, err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func git(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// release builds every target, then writes SHA256SUMS.
func release(ctx context.Context, cfg config) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	extras, err := extraFiles()
	if err != nil {
		return err
	}
	var published []string
	for _, t := range cfg.targets {
		start := time.Now()
		names, err := releaseTarget(ctx, cfg, t, extras)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		published = append(published, names...)
		fmt.Fprintf(cfg.log, "release: %s in %.1fs\n", t, time.Since(start).Seconds())
	}
	return writeSums(cfg.out, published)
}

// extraFiles are the documents shipped in every archive.
func extraFiles() ([]string, error) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		return nil, err
	}
	sort.Strings(docs)
	return append([]string{"README.md"}, docs...), nil
}

// releaseTarget builds t and writes its archive and SBOM into cfg.out,
// returning their names.
func releaseTarget(ctx context.Context, cfg config, t target, extras []string) ([]string, error) {
	base := fmt.Sprintf("canic-backup_%s_%s_%s", cfg.version, t.goos, t.goarch)
	exe := "canic-backup"
	if t.goos == "windows" {
		exe += ".exe"
	}
	work, err := os.MkdirTemp("", "canic-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, exe)
	if err := build(ctx, cfg, t, bin); err != nil {
		return nil, err
	}
	if t.goos == "linux" {
		if err := checkStatic(bin); err != nil {
			return nil, err
		}
	}
	files := []archiveFile{{name: base + "/" + exe, path: bin, mode: 0o755}}
	for _, e := range extras {
		files = append(files, archiveFile{name: base + "/" + filepath.ToSlash(e), path: e, mode: 0o644})
	}
	archive := base + ".tar.gz"
	write := writeTarGz
	if t.goos == "windows" {
		archive = base + ".zip"
		write = writeZip
	}
	if err := writeFileAtomic(filepath.Join(cfg.out, archive), func(w io.Writer) error {
		return write(w, files, cfg.epoch)
	}); err != nil {
		return nil, err
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read build info of %s: %w", bin, err)
	}
	binSum, err := fileSHA256(bin)
	if err != nil {
		return nil, err
	}
	sbomName := base + ".cdx.json"
	if err := writeFileAtomic(filepath.Join(cfg.out, sbomName), func(w io.Writer) error {
		return writeSBOM(w, info, sbomSubject{version: cfg.version, commit: cfg.commit, target: t, binarySHA256: binSum, epoch: cfg.epoch})
	}); err != nil {
		return nil, err
	}
	return []string{archive, sbomName}, nil
}

// buildFlags are the go build arguments of a release binary.
func buildFlags(version, commit string) []string {
	return []string{
		"build", "-trimpath", "-buildvcs=false",
		"-ldflags", fmt.Sprintf("-s -w -buildid= -X main.version=%s -X main.commit=%s", version, commit),
	}
}

func build(ctx context.Context, cfg config, t target, bin string) error {
	args := append(buildFlags(cfg.version, cfg.commit), "-o", bin, "./cmd/canic-backup")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch)
	if cfg.gocache != "" {
		cmd.Env = append(cmd.Env, "GOCACHE="+cfg.gocache)
	}
	cmd.Stdout, cmd.Stderr = cfg.log, cfg.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// writeSums writes SHA256SUMS over names (files in dir), sorted, in the
// format sha256sum -c reads.
func writeSums(dir string, names []string) error {
	sort.Strings(names)
	return writeFileAtomic(filepath.Join(dir, "SHA256SUMS"), func(w io.Writer) error {
		for _, n := range names {
			sum, err := fileSHA256(filepath.Join(dir, n))
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s  %s\n", sum, n); err != nil {
				return err
			}
		}
		return nil
	})
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileAtomic writes path through a temp file renamed into place, so
// a failed run leaves no partial archive under the final name.
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
