// Package killpoint lets tests kill a canic-backup process at a named step.
//
// It is a no-op unless the environment says otherwise, read once per
// process:
//
//	CANIC_BACKUP_KILLPOINT="name:N"       SIGKILL this process at the Nth Hit(name)
//	CANIC_BACKUP_KILLPOINT_TRACE=/path    append "pid name n" for every Hit
//	CANIC_BACKUP_KILLPOINT_PAUSE=/path    at the configured hit, instead of
//	                                      the kill, create /path (holding the
//	                                      pid) and wait until it is removed
//
// The pause lets a test act at a precise step (send SIGINT, fill the disk)
// and then let the process go on.
//
// Hits are counted per process and per name, so "layout.before-rename:3"
// means the third atomic write of this process, stopped between its fsync
// and its rename. A name may be qualified by the process's role, "main" or
// "plugin" (a process started with the plugin-serve command):
// "plugin/agent.download-chunk:2" fires only in plugin processes. Trace
// lines always carry the role: "pid role/name n". The environment reaches the plugin processes the
// canic-backup binary starts, so points in the drivers fire there.
//
// The crash harness (crashtest/) runs a command once with the trace to list
// every point it passes, then once per point with the kill, and checks that
// the command the tool names next completes the work.
package killpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// EnvKill and EnvTrace name the environment variables read by Hit.
const (
	EnvKill  = "CANIC_BACKUP_KILLPOINT"
	EnvTrace = "CANIC_BACKUP_KILLPOINT_TRACE"
	EnvPause = "CANIC_BACKUP_KILLPOINT_PAUSE"
)

// pauseLimit bounds a pause: a test that forgets to remove the file does
// not hang the process for ever.
const pauseLimit = 5 * time.Minute

// Kill point names used by the product (the harness enumerates them from
// the trace; these constants keep the call sites and the docs in step).
const (
	// BeforeRename: core/layout's atomic write, after the temp file's
	// write and fsync, before it is renamed (or linked) to its final name.
	BeforeRename = "layout.before-rename"
	// AfterRename: the rename done, the directory not yet fsynced.
	AfterRename = "layout.after-rename"
	// RunnerPersisted: core/runner persisted the execution journal.
	RunnerPersisted = "runner.journal-persisted"
	// RunnerDownloadPersisted: core/runner persisted the download journal.
	RunnerDownloadPersisted = "runner.download-journal-persisted"
	// RestorePersisted: core/restore persisted the apply journal.
	RestorePersisted = "restore.journal-persisted"
	// AgentDownloadChunk: driver/agent wrote one downloaded chunk.
	AgentDownloadChunk = "agent.download-chunk"
	// AgentUploadChunk: driver/agent sent one chunk of an upload.
	AgentUploadChunk = "agent.upload-chunk"
	// DFXCommandStarted: driver/dfx started an icp/dfx subprocess.
	DFXCommandStarted = "dfx.command-started"
	// DFXCommandDone: an icp/dfx subprocess ended.
	DFXCommandDone = "dfx.command-done"
	// RunnerArtifactSunk: core/runner put a verified artifact to its
	// sink (an artifact store) and removed its temp directory, before the
	// verify-artifact receipt is persisted.
	RunnerArtifactSunk = "runner.artifact-sunk"
	// RunnerStopsCompleted: core/runner persisted the receipt of the last
	// stop operation of the plan (every target is stopped).
	RunnerStopsCompleted = "runner.stops-completed"
	// StorePartUploaded: core/store/s3store finished uploading one part
	// of a multipart upload (the next Put of the key resumes after it).
	StorePartUploaded = "store.part-uploaded"
)

// points is the process-wide state: the environment is process-wide, so
// is its reading. It is only ever non-empty in tests that set the env.
type points struct {
	once   sync.Once
	role   string
	name   string
	at     int
	trace  string
	pause  string
	mu     sync.Mutex
	counts map[string]int
}

var state points // process-wide by design: see the package comment

func (p *points) load() {
	p.counts = map[string]int{}
	p.role = "main"
	for _, a := range os.Args[1:] {
		if a == "plugin-serve" {
			p.role = "plugin"
		}
	}
	p.trace = os.Getenv(EnvTrace)
	p.pause = os.Getenv(EnvPause)
	spec := os.Getenv(EnvKill)
	if spec == "" {
		return
	}
	i := strings.LastIndexByte(spec, ':')
	n, err := strconv.Atoi(spec[i+1:])
	if i <= 0 || err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "%s=%q: want name:N with N >= 1 (ignored)\n", EnvKill, spec)
		return
	}
	p.name, p.at = spec[:i], n
}

// Enabled reports whether either variable is set (callers on hot paths may
// skip building names).
func Enabled() bool {
	state.once.Do(state.load)
	return state.name != "" || state.trace != ""
}

// Hit counts one pass through the named point; at the configured count it
// kills the process with SIGKILL (no deferred functions, no cleanup, as a
// power cut or the OOM killer would).
func Hit(name string) {
	if !Enabled() {
		return
	}
	state.mu.Lock()
	state.counts[name]++
	n := state.counts[name]
	if state.trace != "" {
		if f, err := os.OpenFile(state.trace, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			_, _ = fmt.Fprintf(f, "%d %s/%s %d\n", os.Getpid(), state.role, name, n)
			_ = f.Close()
		}
	}
	kill := n == state.at && (name == state.name || state.role+"/"+name == state.name)
	state.mu.Unlock()
	if kill && state.pause != "" {
		pauseAt(state.pause)
		return
	}
	if kill {
		platform.KillSelf()
	}
}

// pauseAt creates path (holding the pid) and waits until it is removed, at
// most pauseLimit.
func pauseAt(path string) {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v (not paused)\n", EnvPause, path, err)
		return
	}
	for deadline := time.Now().Add(pauseLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return
		}
	}
}
