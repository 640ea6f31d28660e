package sim

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// Simulator is a running simulated IC subnet served over HTTP. It is safe
// for concurrent use.
type Simulator struct {
	now      func() time.Time
	stateDir string
	syncWait time.Duration

	signer  *cert.Signer  // the NNS (root) subnet's, subnets[0]
	node    *cert.NodeKey // subnets[0]'s node
	subnets []*subnet
	rep     *replica.Replica
	state   persisted
	ctrlKey ed25519.PrivateKey
	ctrlID  *identity.Ed25519Identity
	pemPath string
	tmpDir  string
	root    []byte
	all     [][]byte

	ln  net.Listener
	srv *http.Server
	url string

	counters *counters
	faults   *faultState
	reqs     *requests
	limiter  *rateLimiter
	cycles   uint64 // starting balance of seeded canisters

	saveMu   sync.Mutex // serializes saves
	auto     *autosaver // background saves; nil without AutosaveInterval
	syncSave bool

	baseCtx   context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start seeds (or, with a StateDir holding state, reloads) a simulated
// subnet and serves it on opts.Addr until Close. ctx bounds only startup.
func Start(ctx context.Context, opts Options) (*Simulator, error) {
	s := &Simulator{
		now:      opts.Now,
		stateDir: opts.StateDir,
		syncWait: opts.SyncCallTimeout,
		counters: newCounters(),
		faults:   newFaultState(opts.Faults),
		reqs:     newRequests(),
		syncSave: opts.SyncSave && opts.StateDir != "",
		limiter:  newRateLimiter(opts.RateLimit),
		cycles:   opts.Cycles,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.syncWait <= 0 {
		s.syncWait = 10 * time.Second
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.initState(opts); err != nil {
		s.cleanupTemp()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		s.cleanupTemp()
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		s.cleanupTemp()
		return nil, fmt.Errorf("sim: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	if s.stateDir != "" && opts.AutosaveInterval > 0 {
		s.auto = newAutosaver(s.Save, opts.AutosaveInterval)
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// changed is told after an update call that may have changed the state,
// before its reply is released: with SyncSave it saves now, else it asks
// the autosaver for a save.
func (s *Simulator) changed() {
	switch {
	case s.syncSave:
		_ = s.Save() // counted in SaveErrors; Close saves again and reports
	case s.auto != nil:
		s.auto.changed()
	}
}

func (s *Simulator) initState(opts Options) error {
	var prev *persisted
	if s.stateDir != "" {
		if err := os.MkdirAll(s.stateDir, 0o700); err != nil {
			return fmt.Errorf("sim: state dir: %w", err)
		}
		var err error
		if prev, err = loadPersisted(s.stateDir); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	var seed []byte
	var err error
	switch {
	case prev != nil:
		seed, _ = prev.seed()
	case len(opts.KeySeed) > 0:
		seed = append([]byte{}, opts.KeySeed...)
	default:
		if seed, err = randomSeed(); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	n := opts.Subnets
	if n == 0 {
		n = DefaultSubnets
	}
	if prev != nil {
		n = max(prev.Subnets, 1) // states written before subnets had one
	}
	if s.subnets, err = newSubnets(seed, n); err != nil {
		return err
	}
	s.signer, s.node = s.subnets[0].signer, s.subnets[0].node
	s.ctrlKey = controllerKey(seed)
	if s.ctrlID, err = controllerIdentity(s.ctrlKey); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := s.writePEM(); err != nil {
		return err
	}
	cfg := replica.Config{SubnetID: s.signer.SubnetID(), Clock: s.now,
		Mainnet: replica.Mainnet{StopDelay: opts.StopDelay, StopTimeout: opts.StopTimeout}}
	if prev != nil {
		return s.reload(*prev, cfg)
	}
	return s.seedFresh(seed, opts.Fleet, cfg)
}

func (s *Simulator) writePEM() error {
	pemBytes, err := controllerPEM(s.ctrlKey)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	dir := s.stateDir
	if dir == "" {
		if s.tmpDir, err = os.MkdirTemp("", "canic-sim-"); err != nil {
			return fmt.Errorf("sim: identity dir: %w", err)
		}
		dir = s.tmpDir
	}
	s.pemPath = filepath.Join(dir, controllerFile)
	if err := atomicfile.WriteFile(s.pemPath, pemBytes, 0o600); err != nil {
		return fmt.Errorf("sim: controller identity: %w", err)
	}
	return nil
}

func (s *Simulator) reload(p persisted, cfg replica.Config) error {
	rep, err := replica.Load(filepath.Join(s.stateDir, replicaDirName), cfg)
	if err != nil {
		return fmt.Errorf("sim: reload replica from %s: %w", s.stateDir, err)
	}
	s.rep, s.state = rep, p
	root, _ := principal.Decode(p.RootCanisterID)
	s.root = root.Raw
	for _, id := range p.CanisterIDs {
		c, err := principal.Decode(id)
		if err != nil {
			return fmt.Errorf("sim: %w: %s: canister_ids entry %q: %v", ErrBadState, stateFileName, id, err)
		}
		s.all = append(s.all, c.Raw)
	}
	return nil
}

func (s *Simulator) seedFresh(seed []byte, f Fleet, cfg replica.Config) error {
	rep, err := replica.New(cfg)
	if err != nil {
		return fmt.Errorf("sim: new replica: %w", err)
	}
	fleet, err := rep.SeedFleet(replica.FleetSpec{
		Name: f.Name, Children: f.Children, Depth: f.Depth, Size: f.Size, Seed: f.Seed,
		Controllers: [][]byte{s.ctrlID.Sender().Raw},
		Bases:       fleetBases(s.subnets),
		Cycles:      s.startCycles(),
	})
	if err != nil {
		return fmt.Errorf("sim: seed fleet %q: %w", f.Name, err)
	}
	s.rep, s.root, s.all = rep, fleet.Root, fleet.All
	s.state = persisted{Version: stateFileFormat, KeySeedHex: hex.EncodeToString(seed),
		RootCanisterID: principal.Principal{Raw: fleet.Root}.String(), CanisterIDs: []string{},
		Subnets: len(s.subnets)}
	for _, id := range fleet.All {
		s.state.CanisterIDs = append(s.state.CanisterIDs, principal.Principal{Raw: id}.String())
	}
	if s.stateDir != "" {
		return s.Save()
	}
	return nil
}

// Save writes the replica state and the simulator's keys to the state
// directory (a no-op without one). Close calls it, and so do autosave and
// SyncSave; saves never overlap.
func (s *Simulator) Save() error {
	if s.stateDir == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	err := s.save()
	s.counters.add(func(c *Counters) {
		c.Saves++
		if err != nil {
			c.SaveErrors++
		}
	})
	return err
}

func (s *Simulator) save() error {
	if err := s.rep.Save(filepath.Join(s.stateDir, replicaDirName)); err != nil {
		return fmt.Errorf("sim: save replica: %w", err)
	}
	if err := s.state.save(s.stateDir); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// Close stops serving, waits for executing calls, stops autosaving, saves
// the state (with a StateDir) and removes temporary files. It is safe to call more than once.
func (s *Simulator) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sim: shutdown: %w", err))
			_ = s.srv.Close()
		}
		s.cancel()
		s.wg.Wait()
		if s.auto != nil {
			s.auto.close() // the final save below follows it
		}
		if err := s.Save(); err != nil {
			errs = append(errs, err)
		}
		s.cleanupTemp()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Simulator) cleanupTemp() {
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

// URL returns the base URL, e.g. "http://127.0.0.1:40123".
func (s *Simulator) URL() string { return s.url }

// RootKey returns the DER root key (133 bytes).
func (s *Simulator) RootKey() []byte { return s.signer.RootKeyDER() }

// RootKeyHex returns the root key as the 266-hex string icp takes after -k.
func (s *Simulator) RootKeyHex() string { return hex.EncodeToString(s.signer.RootKeyDER()) }

// SubnetID returns the simulated root (NNS) subnet's principal; with one
// subnet it serves every canister, else see SubnetOf.
func (s *Simulator) SubnetID() principal.Principal {
	return principal.Principal{Raw: s.signer.SubnetID()}
}

// RootCanister returns the fleet's root canister.
func (s *Simulator) RootCanister() principal.Principal {
	return principal.Principal{Raw: append([]byte{}, s.root...)}
}

// Canisters returns every fleet canister, root first.
func (s *Simulator) Canisters() []principal.Principal {
	out := make([]principal.Principal, len(s.all))
	for i, id := range s.all {
		out[i] = principal.Principal{Raw: append([]byte{}, id...)}
	}
	return out
}

// ControllerPEMPath returns the path of the PKCS#8 Ed25519 PEM identity
// (mode 0600) that controls every fleet canister.
func (s *Simulator) ControllerPEMPath() string { return s.pemPath }

// ControllerIdentity returns that identity for agent-go.
func (s *Simulator) ControllerIdentity() *identity.Ed25519Identity { return s.ctrlID }

// Replica returns the execution engine, for tests that inspect or prepare
// canister state directly.
func (s *Simulator) Replica() *replica.Replica { return s.rep }

// Counters returns a snapshot of the call counters.
func (s *Simulator) Counters() Counters { return s.counters.snapshot() }

// ResetCounters zeroes the call counters.
func (s *Simulator) ResetCounters() { s.counters.reset() }

// Faults returns the current fault knobs.
func (s *Simulator) Faults() Faults { return s.faults.get() }

// SetFaults replaces the fault knobs; calls arriving afterwards see them.
func (s *Simulator) SetFaults(f Faults) { s.faults.set(f) }

// Info returns what clients need to reach the simulator.
func (s *Simulator) Info() Info {
	ids := make([]string, len(s.all))
	where := make(map[string]string, len(s.all))
	for i, id := range s.all {
		ids[i] = principal.Principal{Raw: id}.String()
		where[ids[i]] = principal.Principal{Raw: s.subnetFor(id).id()}.String()
	}
	return Info{
		URL: s.url, RootKeyHex: s.RootKeyHex(), SubnetID: s.SubnetID().String(),
		RootCanisterID: s.RootCanister().String(), CanisterIDs: ids,
		Subnets: s.Subnets(), CanisterSubnets: where,
		ControllerPEM: s.pemPath, ControllerPrincipal: s.ctrlID.Sender().String(),
		CountersURL: s.url + countersPath,
	}
}
