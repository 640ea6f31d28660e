package dfx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Version is this executor's version, reported by Info.
const Version = "0.1.0"

// progressInterval is how often a transfer's directory is measured for
// progress events.
const progressInterval = 100 * time.Millisecond

// Executor drives icp or dfx. It implements pluginapi.Executor. Create it
// with New and release its private directory with Close.
type Executor struct {
	s    Settings
	sel  selection
	r    *runner
	log  hclog.Logger
	home string
	// uploadState holds upload staging directories; empty means
	// defaultUploadStateDir.
	uploadState string

	idMu     sync.Mutex
	identity string
}

var _ pluginapi.Executor = (*Executor)(nil)

// Option tunes New.
type Option func(*Executor)

// WithObserver reports every command the executor starts and finishes.
func WithObserver(o Observer) Option { return func(e *Executor) { e.r.observe = o } }

// New validates s (after applying defaults), resolves the binary, prepares
// the private directory and, when IdentityPEM is set, imports the key into
// a private ICP_HOME. A bad setting is a *pluginapi.Error with
// CodeInvalidArgument that names the field and value.
func New(ctx context.Context, s Settings, log hclog.Logger, opts ...Option) (*Executor, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, &pluginapi.Error{Code: pluginapi.CodeInvalidArgument, Message: err.Error()}
	}
	bin, err := s.binaryPath()
	if err != nil {
		return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "binary = %q: %v", s.Binary, err)
	}
	home, err := privateHome()
	if err != nil {
		return nil, err
	}
	dir := s.ProjectDir
	if dir == "" {
		dir = home
	}
	icpHome := ""
	if s.IdentityPEM != "" {
		icpHome = filepath.Join(home, "icp-home")
	}
	e := &Executor{
		s: s, sel: selectionOf(s), log: log.Named(string(s.Flavor)), home: home,
		r: &runner{bin: bin, dir: dir, env: environ(s.Flavor, icpHome, s.Env), sem: make(chan struct{}, s.Concurrency),
			maxOut: s.MaxOutputBytes, errLines: s.StderrLines},
	}
	e.r.log = e.log
	for _, o := range opts {
		o(e)
	}
	if s.IdentityPEM != "" {
		if err := e.importIdentity(ctx, s.Identity, s.IdentityPEM); err != nil {
			_ = e.Close()
			return nil, err
		}
	}
	e.log.Info("executor ready", "binary", bin, "network", s.Network, "environment", s.Environment,
		"identity", s.Identity, "concurrency", s.Concurrency)
	return e, nil
}

// Close removes the executor's private directory (and with it any imported
// identity).
func (e *Executor) Close() error {
	if e.home == "" {
		return nil
	}
	err := os.RemoveAll(e.home)
	e.home = ""
	return err
}

// Settings returns the effective settings (defaults applied).
func (e *Executor) Settings() Settings { return e.s }

func (e *Executor) icp() bool { return e.s.Flavor == FlavorICP }

// exec runs one non-transfer command for op on canister cid; an idempotent
// one (see idempotentOps) is retried on transient failures.
func (e *Executor) exec(ctx context.Context, op, cid string, args []string) (output, error) {
	if !idempotentOps[op] {
		return e.r.run(ctx, op, cid, e.s.CommandTimeout, args)
	}
	var out output
	err := retryTransient(ctx, func() error {
		var err error
		out, err = e.r.run(ctx, op, cid, e.s.CommandTimeout, args)
		return err
	})
	return out, err
}

// Info reports the flavor, version and capabilities.
func (e *Executor) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{
		Name: string(e.s.Flavor), Version: Version, ProtocolVersion: pluginapi.ProtocolVersion,
		Capabilities: []pluginapi.Capability{pluginapi.CapabilityResumeDownload, pluginapi.CapabilityUpload,
			pluginapi.CapabilityRegistry, pluginapi.CapabilityPreflight},
	}, nil
}

func checkCanister(what, cid string) error {
	if cid == "" {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: canister id is empty", what)
	}
	if _, err := principal.Decode(cid); err != nil {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: canister id %q is not a textual principal: %v", what, cid, err)
	}
	return nil
}

func checkSnapshot(what, id string) error {
	if id == "" {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: snapshot id is empty", what)
	}
	if !isHex(id) {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: snapshot id %q is not hex", what, id)
	}
	return nil
}

// CanisterStatus runs `canister status` (icp: --json, numbers as
// '_'-separated strings; dfx: text).
func (e *Executor) CanisterStatus(ctx context.Context, t pluginapi.Target) (pluginapi.CanisterStatus, error) {
	what := "status of canister " + t.CanisterID
	if err := checkCanister(what, t.CanisterID); err != nil {
		return pluginapi.CanisterStatus{}, err
	}
	args := dfxStatusArgv(e.sel, t.CanisterID)
	if e.icp() {
		args = icpStatusArgv(e.sel, t.CanisterID)
	}
	out, err := e.exec(ctx, "CanisterStatus", t.CanisterID, args)
	if err != nil {
		return pluginapi.CanisterStatus{}, e.readError(what, err)
	}
	var st pluginapi.CanisterStatus
	if e.icp() {
		st, err = parseICPStatus(out.stdout)
		if err != nil {
			if alt, terr := parseICPStatusText(out.stdout); terr == nil {
				st, err = alt, nil
			}
		}
	} else {
		st, err = parseDFXStatus(out.stdout)
	}
	if err != nil {
		return st, e.readError(what, e.r.parseError(args, out, err))
	}
	return st, nil
}

// StopCanister runs `canister stop`, which returns once the canister is
// stopped.
func (e *Executor) StopCanister(ctx context.Context, t pluginapi.Target) error {
	return e.simple(ctx, "StopCanister", "stop canister "+t.CanisterID, t.CanisterID, icpStopArgv, dfxStopArgv)
}

// StartCanister runs `canister start`.
func (e *Executor) StartCanister(ctx context.Context, t pluginapi.Target) error {
	return e.simple(ctx, "StartCanister", "start canister "+t.CanisterID, t.CanisterID, icpStartArgv, dfxStartArgv)
}

func (e *Executor) simple(ctx context.Context, op, what, cid string, icpArgv, dfxArgv func(selection, string) []string) error {
	if err := checkCanister(what, cid); err != nil {
		return err
	}
	args := dfxArgv(e.sel, cid)
	if e.icp() {
		args = icpArgv(e.sel, cid)
	}
	_, err := e.exec(ctx, op, cid, args)
	return e.protocolError(what, err)
}

// CreateSnapshot runs `canister snapshot create` (icp: --json; dfx: the
// id from its sentence, then time and size from the list).
func (e *Executor) CreateSnapshot(ctx context.Context, t pluginapi.Target) (pluginapi.SnapshotInfo, error) {
	what := "create a snapshot of canister " + t.CanisterID
	if err := checkCanister(what, t.CanisterID); err != nil {
		return pluginapi.SnapshotInfo{}, err
	}
	if e.icp() {
		args := icpCreateArgv(e.sel, t.CanisterID)
		out, err := e.exec(ctx, "CreateSnapshot", t.CanisterID, args)
		if err != nil {
			return pluginapi.SnapshotInfo{}, e.protocolError(what, err)
		}
		info, err := parseICPCreate(out.stdout)
		if err != nil {
			return info, e.protocolError(what, e.r.parseError(args, out, err))
		}
		return info, nil
	}
	args := dfxCreateArgv(e.sel, t.CanisterID)
	out, err := e.exec(ctx, "CreateSnapshot", t.CanisterID, args)
	if err != nil {
		return pluginapi.SnapshotInfo{}, e.protocolError(what, err)
	}
	id, err := parseDFXCreate(out.stdout)
	if err != nil {
		return pluginapi.SnapshotInfo{}, e.protocolError(what, e.r.parseError(args, out, err))
	}
	list, err := e.ListSnapshots(ctx, t)
	if err != nil {
		return pluginapi.SnapshotInfo{ID: id}, err
	}
	for _, s := range list {
		if s.ID == id {
			return s, nil
		}
	}
	return pluginapi.SnapshotInfo{ID: id}, nil
}

// ListSnapshots runs `canister snapshot list` (icp: --json; dfx: text),
// oldest first.
func (e *Executor) ListSnapshots(ctx context.Context, t pluginapi.Target) ([]pluginapi.SnapshotInfo, error) {
	what := "list snapshots of canister " + t.CanisterID
	if err := checkCanister(what, t.CanisterID); err != nil {
		return nil, err
	}
	args := dfxListArgv(e.sel, t.CanisterID)
	parse := parseDFXList
	if e.icp() {
		args, parse = icpListArgv(e.sel, t.CanisterID), parseICPList
	}
	out, err := e.exec(ctx, "ListSnapshots", t.CanisterID, args)
	if err != nil {
		return nil, e.readError(what, err)
	}
	list, err := parse(out.stdout)
	if err != nil {
		return nil, e.readError(what, e.r.parseError(args, out, err))
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].TakenAtNanos < list[j].TakenAtNanos })
	return list, nil
}

// DeleteSnapshot runs `canister snapshot delete`.
func (e *Executor) DeleteSnapshot(ctx context.Context, t pluginapi.Target, snapshotID string) error {
	what := fmt.Sprintf("delete snapshot %s of canister %s", snapshotID, t.CanisterID)
	if err := checkCanister(what, t.CanisterID); err != nil {
		return err
	}
	if err := checkSnapshot(what, snapshotID); err != nil {
		return err
	}
	args := dfxDeleteArgv(e.sel, t.CanisterID, snapshotID)
	if e.icp() {
		args = icpDeleteArgv(e.sel, t.CanisterID, snapshotID)
	}
	_, err := e.exec(ctx, "DeleteSnapshot", t.CanisterID, args)
	return e.protocolError(what, err)
}

// LoadSnapshot runs `icp canister snapshot restore` / `dfx canister
// snapshot load`.
func (e *Executor) LoadSnapshot(ctx context.Context, t pluginapi.Target, snapshotID string) error {
	what := fmt.Sprintf("load snapshot %s into canister %s", snapshotID, t.CanisterID)
	if err := checkCanister(what, t.CanisterID); err != nil {
		return err
	}
	if err := checkSnapshot(what, snapshotID); err != nil {
		return err
	}
	args := dfxLoadArgv(e.sel, t.CanisterID, snapshotID)
	if e.icp() {
		args = icpLoadArgv(e.sel, t.CanisterID, snapshotID)
	}
	_, err := e.exec(ctx, "LoadSnapshot", t.CanisterID, args)
	err = e.protocolError(what, err)
	if errors.Is(err, pluginapi.CodeNotStopped) {
		// The CLIs check the run status before the snapshot id; an unknown
		// snapshot is the more useful answer, and it is certain.
		if list, lerr := e.ListSnapshots(ctx, t); lerr == nil && !hasSnapshot(list, snapshotID) {
			return pluginapi.Errorf(pluginapi.CodeNotFound, "%s: canister %s has no snapshot %s (and is not stopped)", what, t.CanisterID, snapshotID)
		}
	}
	return err
}

func hasSnapshot(list []pluginapi.SnapshotInfo, id string) bool {
	for _, s := range list {
		if strings.EqualFold(s.ID, id) {
			return true
		}
	}
	return false
}

// QueryRegistry calls root's canic_subnet_registry query through the CLI
// (icp: --json, candid from response_bytes; dfx: --output raw) and decodes
// the candid reply. The network argument is ignored: the executor's
// configured network is used.
func (e *Executor) QueryRegistry(ctx context.Context, _ string, root string) ([]pluginapi.RegistryEntry, error) {
	what := "query canic_subnet_registry of root " + root
	if err := checkCanister(what, root); err != nil {
		return nil, err
	}
	args := dfxRegistryArgv(e.sel, root)
	parse := parseDFXCall
	if e.icp() {
		args, parse = icpRegistryArgv(e.sel, root), parseICPCall
	}
	out, err := e.exec(ctx, "QueryRegistry", root, args)
	if err != nil {
		return nil, e.readError(what, err)
	}
	raw, err := parse(out.stdout)
	if err == nil {
		var entries []pluginapi.RegistryEntry
		if entries, err = decodeRegistry(raw); err == nil {
			return entries, nil
		}
		if !errors.Is(err, ErrUnparsable) {
			return nil, pluginapi.Errorf(pluginapi.CodeInternal, "%s: %v", what, err)
		}
	}
	return nil, e.readError(what, e.r.parseError(args, out, err))
}

// Identity returns the principal the executor acts as (cached).
func (e *Executor) Identity(ctx context.Context) (string, error) {
	e.idMu.Lock()
	defer e.idMu.Unlock()
	if e.identity != "" {
		return e.identity, nil
	}
	args := dfxPrincipalArgv(e.sel)
	if e.icp() {
		args = icpPrincipalArgv(e.sel)
	}
	out, err := e.exec(ctx, "Identity", "", args)
	if err != nil {
		return "", e.protocolError("identity principal", err)
	}
	p, err := parsePrincipal(out.stdout)
	if err != nil {
		return "", e.protocolError("identity principal", e.r.parseError(args, out, err))
	}
	e.identity = p
	return p, nil
}

// Preflight reads the identity's principal, then every target's status
// and controllers (pluginapi.PreflightByStatus, which the agent driver
// serves too). A target that cannot be inspected carries its error.
func (e *Executor) Preflight(ctx context.Context, req pluginapi.PreflightRequest) (pluginapi.PreflightReport, error) {
	id, err := e.Identity(ctx)
	if err != nil {
		return pluginapi.PreflightReport{}, err
	}
	return pluginapi.PreflightByStatus(ctx, req, id, e.CanisterStatus)
}

// DownloadSnapshot runs the CLI's own download into dir. When dir already
// holds an interrupted download (metadata.json for icp, any snapshot file
// for dfx) it passes --resume; progress is measured from the directory
// (icp's .download_progress.json while it exists) every 100 ms. On success
// icp's .lock is removed and an empty stable_memory.bin is written when
// dfx omitted it, so the directory has the agent driver's layout.
func (e *Executor) DownloadSnapshot(ctx context.Context, t pluginapi.Target, snapshotID, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	what := fmt.Sprintf("download snapshot %s of canister %s", snapshotID, t.CanisterID)
	if err := checkCanister(what, t.CanisterID); err != nil {
		return pluginapi.TransferResult{}, err
	}
	if err := checkSnapshot(what, snapshotID); err != nil {
		return pluginapi.TransferResult{}, err
	}
	if dir == "" {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: directory is empty", what)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: directory %q: %v", what, dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInternal, "%s: create directory %s: %v", what, dir, err)
	}
	var resumed uint64
	first := true
	// A download only reads: a transient failure is retried here, resuming
	// from what the CLI already wrote.
	err = retryTransient(ctx, func() error {
		var resume bool
		var args []string
		if e.icp() {
			_, statErr := os.Stat(filepath.Join(dir, metadataFile))
			resume = statErr == nil
			args = icpDownloadArgv(e.sel, t.CanisterID, snapshotID, dir, resume)
		} else {
			resume = hasSnapshotFiles(dir)
			args = dfxDownloadArgv(e.sel, t.CanisterID, snapshotID, dir, resume)
		}
		if resume && first {
			resumed = bytesPresent(dir)
		}
		first = false
		_, err := e.transfer(ctx, "DownloadSnapshot", t.CanisterID, args, dir, progress)
		return err
	})
	if err != nil {
		return pluginapi.TransferResult{}, e.readError(what, err)
	}
	_ = os.Remove(filepath.Join(dir, icpLockFile))
	stable := filepath.Join(dir, "stable_memory.bin")
	if _, err := os.Stat(stable); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(stable, nil, 0o644); err != nil {
			return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInternal, "%s: write empty %s: %v", what, stable, err)
		}
	}
	total, err := treeBytes(dir)
	if err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInternal, "%s: measure %s: %v", what, dir, err)
	}
	if resumed > total {
		resumed = total
	}
	if progress != nil {
		progress(pluginapi.Progress{BytesDone: total, BytesTotal: total})
	}
	return pluginapi.TransferResult{SnapshotID: snapshotID, Bytes: total, ResumedBytes: resumed}, nil
}

// UploadSnapshot runs the CLI's own upload of dir as a new snapshot of t.
// dir is only read: the CLI uploads from a private staging directory of
// hard links (see stageUpload), because it writes its lock and progress
// files into the directory it uploads. icp gets --resume only when its
// .upload_progress.json is present there (a fresh upload with --resume
// fails in icp 1.5.0); dfx gets --resume <id> when its <id>.json progress
// file is present. The staging directory is removed on success and kept
// for a resumption on failure.
func (e *Executor) UploadSnapshot(ctx context.Context, t pluginapi.Target, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	what := fmt.Sprintf("upload %s as a snapshot of canister %s", dir, t.CanisterID)
	if err := checkCanister(what, t.CanisterID); err != nil {
		return pluginapi.TransferResult{}, err
	}
	if dir == "" {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: directory is empty", what)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", what, err)
	}
	if _, err := os.Stat(filepath.Join(dir, metadataFile)); err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %s has no %s", what, dir, metadataFile)
	}
	total, err := treeBytes(dir)
	if err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", what, err)
	}
	stage, err := e.stageUpload(dir, t.CanisterID)
	if err != nil {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInternal, "%s: %v", what, err)
	}
	var args []string
	if e.icp() {
		_, perr := os.Stat(filepath.Join(stage, icpUploadProgress))
		args = icpUploadArgv(e.sel, t.CanisterID, stage, perr == nil)
	} else {
		args = dfxUploadArgv(e.sel, t.CanisterID, stage, dfxUploadResumeID(stage))
	}
	if progress != nil {
		progress(pluginapi.Progress{BytesTotal: total})
	}
	out, err := e.transfer(ctx, "UploadSnapshot", t.CanisterID, args, "", nil)
	if err != nil {
		return pluginapi.TransferResult{}, e.protocolError(what, err)
	}
	var id string
	if e.icp() {
		id, err = parseICPUpload(out.stdout)
	} else {
		id, err = parseDFXUpload(out.stdout, out.stderr)
	}
	if err != nil {
		return pluginapi.TransferResult{}, e.protocolError(what, e.r.parseError(args, out, err))
	}
	if err := os.RemoveAll(stage); err != nil {
		e.log.Warn("cannot remove the upload staging directory", "dir", stage, "error", err.Error())
	}
	if progress != nil {
		progress(pluginapi.Progress{BytesDone: total, BytesTotal: total})
	}
	return pluginapi.TransferResult{SnapshotID: id, Bytes: total}, nil
}

// transfer runs a download or upload command under TransferTimeout in a
// goroutine and, while it runs, reports progress measured from dir from
// the calling goroutine.
func (e *Executor) transfer(ctx context.Context, op, cid string, args []string, dir string, progress pluginapi.ProgressFunc) (output, error) {
	type result struct {
		out output
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := e.r.run(ctx, op, cid, e.s.TransferTimeout, args)
		done <- result{out, err}
	}()
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	var last uint64
	for {
		select {
		case r := <-done:
			return r.out, r.err
		case <-tick.C:
			if progress == nil || dir == "" {
				continue
			}
			n := bytesPresent(dir)
			if n > last {
				last = n
				total := expectedBytes(dir)
				if total < n {
					total = n
				}
				progress(pluginapi.Progress{BytesDone: n, BytesTotal: total})
			}
		}
	}
}

// String names the executor for logs.
func (e *Executor) String() string {
	return fmt.Sprintf("%s executor (%s, network %s)", e.s.Flavor, e.r.bin, strings.TrimSpace(e.s.Network+" "+e.s.Environment))
}
