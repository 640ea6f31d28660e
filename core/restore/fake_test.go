package restore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/timestamp"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// fakeExecutor is an in-memory RestoreExecutor behaving like the fake icp
// the goldens were written with: stop/start flip a canister's state, status
// prints "Status: Stopped/Running", upload prints "Uploaded snapshot: <id>"
// with an IC-style id, load checks it received the uploaded id.
type fakeExecutor struct {
	IcpPreview
	mu        sync.Mutex
	stopped   map[string]bool
	uploaded  map[string]string
	hashes    map[string]string // target -> module hash
	calls     []string
	failLoad  map[string]error // target -> error returned by LoadSnapshot
	failAfter int              // fail every call after this many (0: never)
}

func newFake() *fakeExecutor {
	return &fakeExecutor{
		IcpPreview: IcpPreview{Program: "icp", Network: "local"},
		stopped:    map[string]bool{}, uploaded: map[string]string{}, failLoad: map[string]error{},
		hashes: map[string]string{
			"r7inp-6aaaa-aaaaa-aaabq-cai": strings.Repeat("1", 64),
			"qoctq-giaaa-aaaaa-aaaea-cai": strings.Repeat("2", 64),
			"rno2w-sqaaa-aaaaa-aaacq-cai": strings.Repeat("3", 64),
		},
	}
}

var errPluginDied = errors.New("plugin process exited")

func (f *fakeExecutor) call(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	if f.failAfter > 0 && len(f.calls) > f.failAfter {
		return errPluginDied
	}
	return nil
}

func (f *fakeExecutor) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	if err := f.call("upload " + target); err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err != nil {
		return "", &CommandError{Status: "1", Err: err}
	}
	p, err := principal.Parse(target)
	if err != nil {
		return "", &CommandError{Status: "1", Err: err}
	}
	id := "0000000000000001" + hex.EncodeToString(p.Bytes())
	f.mu.Lock()
	f.uploaded[target] = id
	f.mu.Unlock()
	RecordTranscript(ctx, Transcript{Stdout: []byte("Uploaded snapshot: " + id + "\n")})
	return id, nil
}

func (f *fakeExecutor) StopCanister(ctx context.Context, target string) error {
	if err := f.call("stop " + target); err != nil {
		return err
	}
	f.mu.Lock()
	f.stopped[target] = true
	f.mu.Unlock()
	return nil
}

func (f *fakeExecutor) StartCanister(ctx context.Context, target string) error {
	if err := f.call("start " + target); err != nil {
		return err
	}
	f.mu.Lock()
	f.stopped[target] = false
	f.mu.Unlock()
	return nil
}

func (f *fakeExecutor) LoadSnapshot(ctx context.Context, target, id string) error {
	if err := f.call("load " + target + " " + id); err != nil {
		return err
	}
	if err := f.failLoad[target]; err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			RecordTranscript(ctx, Transcript{Status: ce.Status, Stderr: []byte(fmt.Sprintf(
				"Error: failed to restore snapshot %s on canister %s: snapshot not found\n", id, target))})
		}
		return err
	}
	return nil
}

func (f *fakeExecutor) CanisterStatus(ctx context.Context, target string) (string, string, error) {
	if err := f.call("status " + target); err != nil {
		return "", "", err
	}
	f.mu.Lock()
	stopped, hash := f.stopped[target], f.hashes[target]
	f.mu.Unlock()
	if stopped {
		RecordTranscript(ctx, Transcript{Stdout: []byte("Status: Stopped\n")})
		return StatusStopped, hash, nil
	}
	RecordTranscript(ctx, Transcript{Stdout: []byte("Status: Running\n")})
	return StatusRunning, hash, nil
}

const goldenBackupRoot = "backups/fleet-demo-20260512-140000"

// goldenWorkdir builds the layout the goldens were written in: a working
// directory holding backups/fleet-demo-20260512-140000 (the backup goldens
// plus their artifacts), and changes into it.
func goldenWorkdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, goldenBackupRoot)
	require.NoError(t, os.MkdirAll(root, 0o755))
	for _, f := range []string{"fleet-backup-manifest.json", "download-journal.json", "backup-plan.json", "backup-execution-journal.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, f), golden.Read(t, "backup/"+f), 0o644))
	}
	require.NoError(t, os.CopyFS(root, os.DirFS(golden.Path(t, "backup/extra/artifacts"))))
	abs, err := filepath.Abs(golden.Dir(t))
	require.NoError(t, err)
	t.Setenv(golden.EnvDir, abs) // golden paths keep working after Chdir
	t.Chdir(dir)
	return dir
}

func restoreGolden(t *testing.T, name string) []byte {
	t.Helper()
	return golden.Read(t, "restore/"+name)
}

// writeGoldenJournal copies a golden journal to the working directory.
func writeGoldenJournal(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "restore-apply-journal.json")
	require.NoError(t, os.WriteFile(p, restoreGolden(t, name), 0o644))
	return p
}

func clockAt(secs int64) timestamp.Clock { return timestamp.FixedUnix(secs) }
