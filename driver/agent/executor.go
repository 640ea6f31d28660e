package agent

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	"github.com/canic-backup/canic-backup/driver/agent/mgmt"
	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Name is the executor's name in Info.
const Name = "agent"

// Version is the executor's version in Info.
const Version = "0.1.0"

// Executor implements pluginapi.Executor over the IC HTTP interface.
type Executor struct {
	s       Settings
	log     hclog.Logger
	tc      *transport.Client
	limiter *Limiter
	sender  principal.Principal
	hc      *http.Client
	dirs    dirLocks
	// uploadState is where upload resume records live; empty means
	// defaultUploadStateDir.
	uploadState string
	// hashBudget bounds the memory of download digests (hashing.go).
	hashBudget *hashBudget
}

var _ pluginapi.Executor = (*Executor)(nil)

// Option adjusts New.
type Option func(*Executor)

// WithLimiter makes the executor share l, the process-wide cap on chunk
// calls in flight, instead of a cap of its own (Settings.MaxInFlight).
func WithLimiter(l *Limiter) Option { return func(e *Executor) { e.limiter = l } }

// WithHTTPClient replaces the HTTP client (tests, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(e *Executor) { e.hc = hc } }

// New builds an executor from s (defaults filled in, then validated),
// loading the identity and resolving the root key ("fetch" asks the
// replica once, here).
func New(ctx context.Context, s Settings, log hclog.Logger, opts ...Option) (*Executor, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	e := &Executor{s: s, log: log, hashBudget: newHashBudget(hashBudgetChunks * int64(mgmt.MaxSliceBytes))}
	for _, o := range opts {
		o(e)
	}
	if e.limiter == nil {
		e.limiter = NewLimiter(s.MaxInFlight)
	}
	if e.hc == nil {
		e.hc = &http.Client{Timeout: time.Duration(s.PollTimeout) + time.Minute}
	}
	id, err := loadIdentity(s.IdentityPEM)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(s.URL)
	var rootKey []byte
	switch s.RootKey {
	case RootKeyMainnet:
		rootKey, err = hex.DecodeString(certificate.MainnetRootKey)
	case RootKeyFetch:
		rootKey, err = transport.FetchRootKey(ctx, e.hc, u)
		if err == nil {
			log.Warn("fetched the root key from the replica; its provenance is not verified (trust on first use)", "url", s.URL)
		}
	default:
		rootKey, err = hex.DecodeString(s.RootKey)
	}
	if err != nil {
		return nil, fmt.Errorf("agent executor: root key (%s): %w", s.RootKey, err)
	}
	e.tc, err = transport.New(transport.Config{
		URL: u, HTTP: e.hc, RootKey: rootKey, Identity: id,
		IngressExpiry: time.Duration(s.IngressExpiry), PollTimeout: time.Duration(s.PollTimeout),
		MaxCertAge: time.Duration(s.MaxCertificateAge), Gate: e.limiter.Gate(),
	})
	if err != nil {
		return nil, err
	}
	e.sender = id.Sender()
	log.Info("agent executor ready", "url", s.URL, "identity", e.sender.String(), "chunk_concurrency", s.ChunkConcurrency,
		"max_in_flight", e.limiter.Cap())
	return e, nil
}

// Identity is the principal the executor acts as.
func (e *Executor) Identity() string { return e.sender.String() }

// Info names the executor and its capabilities.
func (e *Executor) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: Name, Version: Version, ProtocolVersion: pluginapi.ProtocolVersion,
		Capabilities: []pluginapi.Capability{pluginapi.CapabilityResumeDownload, pluginapi.CapabilityUpload,
			pluginapi.CapabilityRegistry, pluginapi.CapabilityPreflight}}, nil
}

var mgmtCanister = principal.Principal{Raw: []byte{}}

// canister parses t's canister id.
func canister(t pluginapi.Target) (principal.Principal, error) {
	if t.CanisterID == "" {
		return principal.Principal{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "target %q has no canister id", t.String())
	}
	p, err := principal.Decode(t.CanisterID)
	if err != nil {
		return principal.Principal{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "canister id %q is not a principal: %v", t.CanisterID, err)
	}
	return p, nil
}

func snapshotID(t pluginapi.Target, id string) ([]byte, error) {
	if id == "" {
		return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: snapshot id is empty", t)
	}
	b, err := hex.DecodeString(id)
	if err != nil || len(b) == 0 {
		return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: snapshot id %q is not hex", t, id)
	}
	return b, nil
}

// mgmtCall sends an idempotent management call about c.
func (e *Executor) mgmtCall(ctx context.Context, c principal.Principal, method string, arg []byte) ([]byte, bool, error) {
	return e.callRetry(ctx, mgmtCanister, c, method, arg)
}

// status reads canister_status.
func (e *Executor) status(ctx context.Context, c principal.Principal) (mgmt.Status, error) {
	arg, err := mgmt.CanisterArg(c)
	if err != nil {
		return mgmt.Status{}, err
	}
	raw, _, err := e.mgmtCall(ctx, c, mgmt.MethodCanisterStatus, arg)
	if err != nil {
		return mgmt.Status{}, err
	}
	return mgmt.DecodeStatus(raw)
}

// CanisterStatus reports status, controllers, module hash and memory size.
func (e *Executor) CanisterStatus(ctx context.Context, t pluginapi.Target) (pluginapi.CanisterStatus, error) {
	c, err := canister(t)
	if err != nil {
		return pluginapi.CanisterStatus{}, err
	}
	st, err := e.status(ctx, c)
	if err != nil {
		return pluginapi.CanisterStatus{}, readsAreNeverUnknown(classify("canister_status of", t.String(), err))
	}
	out := pluginapi.CanisterStatus{Status: pluginapi.RunStatus(st.Status), Controllers: texts(st.Controllers),
		ModuleHash: hex.EncodeToString(st.ModuleHash), MemorySize: st.MemorySize,
		FreezingThresholdSeconds: st.FreezingThreshold, IdleCyclesBurnedPerDay: st.IdleCyclesBurnedPerDay}
	if st.HasCycles {
		cy := st.Cycles
		out.Cycles = &cy
	}
	return out, nil
}

func texts(ps []principal.Principal) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// StopCanister stops t and returns once it is stopped.
func (e *Executor) StopCanister(ctx context.Context, t pluginapi.Target) error {
	return e.lifecycle(ctx, t, mgmt.MethodStop)
}

// StartCanister starts t.
func (e *Executor) StartCanister(ctx context.Context, t pluginapi.Target) error {
	return e.lifecycle(ctx, t, mgmt.MethodStart)
}

func (e *Executor) lifecycle(ctx context.Context, t pluginapi.Target, method string) error {
	c, err := canister(t)
	if err != nil {
		return err
	}
	arg, err := mgmt.CanisterArg(c)
	if err != nil {
		return err
	}
	_, _, err = e.mgmtCall(ctx, c, method, arg)
	if rejectCode(err) == icStopTimeout {
		return pluginapi.Errorf(pluginapi.CodeStopTimeout,
			"%s of %s: stop_canister timed out (IC0206) %d times; canister %s may be left stopping (it rejects calls until started): start it (the engine does) and find what keeps its calls open (%v)",
			method, t, min(stopTimeoutAttempts, e.s.RetryAttempts), t.CanisterID, err)
	}
	return e.fail(ctx, method+" of", t, c, err)
}

// fail classifies err from op on t; an out-of-cycles failure names the
// canister's balance when canister_status still answers.
func (e *Executor) fail(ctx context.Context, op string, t pluginapi.Target, c principal.Principal, err error) error {
	out := classify(op, t.String(), err)
	if rejectCode(err) != icOutOfCycles || pluginapi.CodeOf(out) != pluginapi.CodeCycles {
		return out
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	arg, aerr := mgmt.CanisterArg(c)
	if aerr != nil {
		return out
	}
	raw, serr := e.tc.Call(sctx, mgmtCanister, c, mgmt.MethodCanisterStatus, arg)
	if serr != nil {
		return out
	}
	st, serr := mgmt.DecodeStatus(raw)
	if serr != nil || !st.HasCycles {
		return out
	}
	return &pluginapi.Error{Code: pluginapi.CodeCycles, Message: cyclesMessage(op, t.String(), &st.Cycles, err)}
}

// ListSnapshots lists t's snapshots, oldest first.
func (e *Executor) ListSnapshots(ctx context.Context, t pluginapi.Target) ([]pluginapi.SnapshotInfo, error) {
	c, err := canister(t)
	if err != nil {
		return nil, err
	}
	snaps, err := e.list(ctx, c)
	if err != nil {
		return nil, readsAreNeverUnknown(classify("list_canister_snapshots of", t.String(), err))
	}
	out := make([]pluginapi.SnapshotInfo, 0, len(snaps))
	for _, s := range snaps {
		out = append(out, info(s))
	}
	return out, nil
}

func info(s mgmt.Snapshot) pluginapi.SnapshotInfo {
	return pluginapi.SnapshotInfo{ID: s.HexID(), TakenAtNanos: s.TakenAt, TotalSize: s.TotalSize}
}

func (e *Executor) list(ctx context.Context, c principal.Principal) ([]mgmt.Snapshot, error) {
	arg, err := mgmt.CanisterArg(c)
	if err != nil {
		return nil, err
	}
	raw, _, err := e.mgmtCall(ctx, c, mgmt.MethodList, arg)
	if err != nil {
		return nil, err
	}
	snaps, err := mgmt.DecodeSnapshots(raw)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].TakenAt < snaps[j].TakenAt })
	return snaps, nil
}

// CreateSnapshot takes a snapshot of stopped t. A take whose response was
// lost is reconciled by listing t's snapshots, never by taking another.
func (e *Executor) CreateSnapshot(ctx context.Context, t pluginapi.Target) (pluginapi.SnapshotInfo, error) {
	c, err := canister(t)
	if err != nil {
		return pluginapi.SnapshotInfo{}, err
	}
	// The status check and createOnce's listing are independent reads:
	// run them together (each is an update call, seconds on a busy subnet),
	// and send the take only once the canister is known to be stopped.
	type statusResult struct {
		status string
		err    error
	}
	stc := make(chan statusResult, 1)
	go func() {
		st, err := e.status(ctx, c)
		stc <- statusResult{st.Status, err}
	}()
	stopped := func() error {
		st := <-stc
		if st.err != nil {
			return st.err
		}
		if st.status != string(pluginapi.StatusStopped) {
			return pluginapi.Errorf(pluginapi.CodeNotStopped, "canister %s is %s; stop it before taking a snapshot", t, st.status)
		}
		return nil
	}
	snap, err := e.createOnceFull(ctx, c, mgmt.MethodTake, func() ([]byte, error) { return mgmt.TakeArg(c) },
		func(raw []byte) (mgmt.Snapshot, bool, error) {
			// take_canister_snapshot answers the whole snapshot record.
			s, err := mgmt.DecodeSnapshot(raw)
			return s, true, err
		}, stopped)
	if err != nil {
		var pe *pluginapi.Error
		if errors.As(err, &pe) && pe.Code == pluginapi.CodeNotStopped {
			return pluginapi.SnapshotInfo{}, err
		}
		return pluginapi.SnapshotInfo{}, e.fail(ctx, "take_canister_snapshot of", t, c, err)
	}
	return info(snap), nil
}

// createOnce sends a non-idempotent call that creates one snapshot
// (take, or upload metadata). When the outcome is unknown (response lost,
// transport failure) it lists the canister's snapshots: a snapshot that was
// not there before is the one created; only when none appeared is the call
// sent again.
func (e *Executor) createOnce(ctx context.Context, c principal.Principal, method string,
	arg func() ([]byte, error), decodeID func([]byte) ([]byte, error)) (mgmt.Snapshot, error) {
	return e.createOnceFull(ctx, c, method, arg, func(raw []byte) (mgmt.Snapshot, bool, error) {
		id, err := decodeID(raw)
		return mgmt.Snapshot{ID: id}, false, err
	}, nil)
}

// createOnceFull is createOnce with a decoder that may return the whole
// snapshot record (complete true: no listing afterwards to fill it in) and
// a gate called after the first listing, before the call is sent (nil: no
// gate); a gate error is returned as is.
func (e *Executor) createOnceFull(ctx context.Context, c principal.Principal, method string,
	arg func() ([]byte, error), decode func([]byte) (mgmt.Snapshot, bool, error), gate func() error) (mgmt.Snapshot, error) {
	before, err := e.list(ctx, c)
	if gate != nil {
		if gerr := gate(); gerr != nil {
			return mgmt.Snapshot{}, gerr
		}
	}
	if err != nil {
		return mgmt.Snapshot{}, err
	}
	known := map[string]bool{}
	for _, s := range before {
		known[s.HexID()] = true
	}
	a, err := arg()
	if err != nil {
		return mgmt.Snapshot{}, err
	}
	for attempt := 1; ; attempt++ {
		raw, err := e.tc.Call(ctx, mgmtCanister, c, method, a)
		if err == nil {
			snap, complete, err := decode(raw)
			if err != nil {
				return mgmt.Snapshot{}, err
			}
			if complete {
				return snap, nil
			}
			id := snap.ID
			after, err := e.list(ctx, c)
			if err != nil {
				return mgmt.Snapshot{ID: id}, nil
			}
			for _, s := range after {
				if s.HexID() == hex.EncodeToString(id) {
					return s, nil
				}
			}
			return mgmt.Snapshot{ID: id}, nil
		}
		if isDefiniteReject(err) || ctx.Err() != nil {
			return mgmt.Snapshot{}, err
		}
		if rejectCode(err) == "" { // outcome unknown: reconcile
			after, lerr := e.list(ctx, c)
			if lerr != nil {
				return mgmt.Snapshot{}, fmt.Errorf("%s outcome unknown (%v) and listing snapshots failed: %w", method, err, lerr)
			}
			for _, s := range after {
				if !known[s.HexID()] {
					e.log.Info("reconciled a call whose response was lost", "method", method, "canister", c.String(), "snapshot", s.HexID())
					return s, nil
				}
			}
		}
		if attempt >= e.s.RetryAttempts {
			return mgmt.Snapshot{}, err
		}
		if err := sleepCtx(ctx, e.backoff(attempt)); err != nil {
			return mgmt.Snapshot{}, err
		}
	}
}

// DeleteSnapshot deletes one snapshot of t.
func (e *Executor) DeleteSnapshot(ctx context.Context, t pluginapi.Target, id string) error {
	c, err := canister(t)
	if err != nil {
		return err
	}
	sid, err := snapshotID(t, id)
	if err != nil {
		return err
	}
	arg, err := mgmt.SnapshotArg(c, sid)
	if err != nil {
		return err
	}
	_, lost, err := e.mgmtCall(ctx, c, mgmt.MethodDelete, arg)
	if lost && rejectCode(err) == icSnapshotNotFound {
		return nil // an earlier attempt whose response was lost deleted it
	}
	return classify("delete_canister_snapshot "+id+" of", t.String(), err)
}

// LoadSnapshot restores stopped t from one of its snapshots.
func (e *Executor) LoadSnapshot(ctx context.Context, t pluginapi.Target, id string) error {
	c, err := canister(t)
	if err != nil {
		return err
	}
	sid, err := snapshotID(t, id)
	if err != nil {
		return err
	}
	snaps, err := e.list(ctx, c)
	if err != nil {
		return classify("load_canister_snapshot of", t.String(), err)
	}
	found := false
	for _, s := range snaps {
		found = found || s.HexID() == hex.EncodeToString(sid)
	}
	if !found {
		return pluginapi.Errorf(pluginapi.CodeNotFound, "canister %s has no snapshot %s", t, id)
	}
	st, err := e.status(ctx, c)
	if err != nil {
		return classify("load_canister_snapshot of", t.String(), err)
	}
	if st.Status != string(pluginapi.StatusStopped) {
		return pluginapi.Errorf(pluginapi.CodeNotStopped, "canister %s is %s; stop it before loading snapshot %s", t, st.Status, id)
	}
	arg, err := mgmt.LoadArg(c, sid)
	if err != nil {
		return err
	}
	_, _, err = e.mgmtCall(ctx, c, mgmt.MethodLoad, arg)
	return e.fail(ctx, "load_canister_snapshot "+id+" into", t, c, err)
}

// QueryRegistry reads canic_subnet_registry from root through a replicated
// (update) call, so that the answer is certified by the subnet: agent-go
// does not verify query signatures, and topology must not come from an
// unverified reply.
func (e *Executor) QueryRegistry(ctx context.Context, network, root string) ([]pluginapi.RegistryEntry, error) {
	t := pluginapi.Target{Network: network, CanisterID: root}
	c, err := canister(t)
	if err != nil {
		return nil, err
	}
	raw, _, err := e.callRetry(ctx, c, c, mgmt.MethodSubnetRegistry, mgmt.Empty)
	if err != nil {
		if rejectCode(err) == icMethodNotFound {
			return nil, pluginapi.Errorf(pluginapi.CodeNotFound, "canister %s has no canic_subnet_registry method: is it a canic root? (%v)", t, err)
		}
		return nil, readsAreNeverUnknown(classify("canic_subnet_registry of", t.String(), err))
	}
	entries, err := mgmt.DecodeRegistry(raw)
	if err != nil {
		var re *mgmt.RegistryError
		if errors.As(err, &re) && re.Code == "Unauthorized" {
			return nil, pluginapi.Errorf(pluginapi.CodeUnauthorized, "%s: %v", t, err)
		}
		return nil, pluginapi.Errorf(pluginapi.CodeInternal, "%s: %v", t, err)
	}
	out := make([]pluginapi.RegistryEntry, 0, len(entries))
	for _, x := range entries {
		r := pluginapi.RegistryEntry{PID: x.PID.String(), Role: x.Role, ModuleHash: hex.EncodeToString(x.ModuleHash), CreatedAt: x.CreatedAt}
		if x.Parent != nil {
			r.ParentPID = x.Parent.String()
		}
		out = append(out, r)
	}
	return out, nil
}

// Preflight inspects every target's status and controllers
// (pluginapi.PreflightByStatus, which the dfx driver serves too).
func (e *Executor) Preflight(ctx context.Context, req pluginapi.PreflightRequest) (pluginapi.PreflightReport, error) {
	return pluginapi.PreflightByStatus(ctx, req, e.Identity(), e.CanisterStatus)
}
