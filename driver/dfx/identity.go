package dfx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// privatePrefix starts the name of every executor's private directory in
// the temp directory; ownerFile inside it names the process that owns it.
const (
	privatePrefix = "canic-backup-icp-"
	ownerFile     = "owner"
	// unownedGrace is how old a private directory without an owner record
	// must be before a sweep removes it.
	unownedGrace = time.Minute
)

// privateHome creates the executor's private directory (mode 0700) that
// holds icp's ICP_HOME when a PEM is imported and, without a ProjectDir,
// serves as the commands' working directory. It first sweeps the private
// directories of processes that are gone (a kill -9 skips every cleanup),
// and records this process as the owner of the new one.
func privateHome() (string, error) {
	sweepPrivateHomes(os.TempDir())
	dir, err := os.MkdirTemp("", privatePrefix+"*")
	if err != nil {
		return "", fmt.Errorf("create private icp home: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("create private icp home: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(ownerRecord(os.Getpid())), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("create private icp home: %w", err)
	}
	return dir, nil
}

// ownerRecord is "<pid> <start time>" (the start time in clock ticks from
// /proc/<pid>/stat, so a reused pid is not mistaken for the owner; empty
// where /proc is not available).
func ownerRecord(pid int) string {
	return strconv.Itoa(pid) + " " + processStart(pid) + "\n"
}

// processStart returns field 22 of /proc/<pid>/stat, or "".
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerAlive reports whether the owner record names a live process.
func ownerAlive(record string) bool {
	f := strings.Fields(record)
	if len(f) == 0 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return false
	}
	if processGone(pid) {
		return false
	}
	if len(f) > 1 && f[1] != "" {
		if now := processStart(pid); now != "" && now != f[1] {
			return false // the pid was reused
		}
	}
	return true
}

// sweepPrivateHomes removes the private directories in tmp whose owner
// process is gone: only directories (never symlinks) of this user named
// privatePrefix*, with an owner record naming a dead process, or with no
// record at all when they hold nothing but an icp home (a kill between
// MkdirTemp and the record). Errors are ignored: the sweep is best effort
// and never stops a start.
func sweepPrivateHomes(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, ent := range entries {
		if !strings.HasPrefix(ent.Name(), privatePrefix) || ent.Type()&fs.ModeType != fs.ModeDir {
			continue
		}
		dir := filepath.Join(tmp, ent.Name())
		info, err := os.Lstat(dir)
		if err != nil || !info.IsDir() {
			continue
		}
		if !ownedByMe(info) {
			continue
		}
		rec, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || !staleUnowned(info) {
				continue
			}
		} else if ownerAlive(string(rec)) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// staleUnowned reports whether a private directory without an owner record
// is old enough (a minute) that its creator cannot still be writing it.
func staleUnowned(info fs.FileInfo) bool {
	return time.Since(info.ModTime()) > unownedGrace
}

// importIdentity imports the PEM at pemPath as identity name into the
// private ICP_HOME the runner's environment points at. Only the file's path
// reaches the command line; icp reads the key itself and stores it under
// ICP_HOME/identity/keys, which Close removes (and the next start sweeps
// when this process was killed). The stored key is made owner-only.
func (e *Executor) importIdentity(ctx context.Context, name, pemPath string) error {
	abs, err := filepath.Abs(pemPath)
	if err != nil {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "identity_pem %q: %v", pemPath, err)
	}
	if _, err := e.r.run(ctx, "ImportIdentity", "", e.s.CommandTimeout, icpImportArgv(name, abs)); err != nil {
		// The error quotes icp's stderr, which names the file but never
		// prints key material.
		return protocolError(fmt.Sprintf("import identity_pem %q as identity %q", pemPath, name), err)
	}
	_ = filepath.WalkDir(e.home, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			_ = os.Chmod(path, 0o600)
		}
		return nil
	})
	return nil
}
