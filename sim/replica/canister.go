package replica

import (
	"bytes"
	"crypto/sha256"
	"math/big"
	"sync"
	"time"
)

// canisterStatus is running, stopping or stopped.
type canisterStatus int

const (
	statusRunning canisterStatus = iota
	statusStopping
	statusStopped
)

func (s canisterStatus) String() string {
	switch s {
	case statusStopping:
		return "stopping"
	case statusStopped:
		return "stopped"
	default:
		return "running"
	}
}

// maxSnapshots is the IC's limit of snapshots per canister.
const maxSnapshots = 10

// maxSliceSize is the largest read_canister_snapshot_data slice.
const maxSliceSize = 2_000_000

// global is one exported or mutable wasm global: Kind is i32, i64, f32,
// f64 or v128; Bits holds the value's bits (v128 uses Big).
type global struct {
	Kind string   `json:"kind"`
	Bits uint64   `json:"bits"`
	Big  *big.Int `json:"big"`
}

// timer is the global timer: nil inactive-or-unknown handled by pointers.
type timer struct {
	Active bool   `json:"active"`
	At     uint64 `json:"at"`
}

// execState is what a snapshot captures and a load restores.
type execState struct {
	module        []byte // nil = empty canister
	wasm          *memory
	stable        *memory
	chunks        map[string][]byte // hex(sha256) -> chunk
	chunkOrder    []string
	globals       []global
	certifiedData []byte
	timer         *timer
	hook          *string // condition_not_satisfied | ready | executed
}

func (e *execState) clone() execState {
	c := execState{
		module:        e.module,
		wasm:          e.wasm.clone(),
		stable:        e.stable.clone(),
		chunks:        make(map[string][]byte, len(e.chunks)),
		chunkOrder:    append([]string(nil), e.chunkOrder...),
		globals:       append([]global(nil), e.globals...),
		certifiedData: append([]byte(nil), e.certifiedData...),
	}
	for k, v := range e.chunks {
		c.chunks[k] = v
	}
	if e.timer != nil {
		t := *e.timer
		c.timer = &t
	}
	if e.hook != nil {
		h := *e.hook
		c.hook = &h
	}
	return c
}

func (e *execState) chunkBytes() uint64 {
	var n uint64
	for _, c := range e.chunks {
		n += uint64(len(c))
	}
	return n
}

// size is the byte footprint the IC reports for the state.
func (e *execState) size() uint64 {
	return uint64(len(e.module)) + e.wasm.size + e.stable.size + e.chunkBytes() + uint64(len(e.globals))*8
}

// snapshot is one canister snapshot.
type snapshot struct {
	id        []byte
	index     uint64
	takenAt   uint64 // ns
	uploaded  bool   // created by upload_canister_snapshot_metadata
	version   uint64 // canister version when taken
	state     execState
	moduleLen uint64 // declared wasm_module_size (uploads)
}

func (s *snapshot) totalSize() uint64 {
	if s.uploaded {
		return s.moduleLen + s.state.wasm.size + s.state.stable.size + s.state.chunkBytes() + uint64(len(s.state.globals))*8
	}
	return s.state.size()
}

// registryEntry is one Canic registry record served by a root canister.
type registryEntry struct {
	PID        []byte `json:"pid"`
	Role       string `json:"role"`
	ParentPID  []byte `json:"parent_pid"`
	ModuleHash []byte `json:"module_hash"`
	CreatedAt  uint64 `json:"created_at"`
}

// canister is one simulated canister.
type canister struct {
	id          []byte
	index       uint64
	controllers [][]byte
	status      canisterStatus
	version     uint64
	cycles      *big.Int
	createdAt   uint64
	exec        execState
	snapshots   []*snapshot
	nextSnap    uint64
	registry    []registryEntry // non-nil: a Canic root
	queryCalls  uint64
	stopAt      *stopTimer // a stop in progress (Mainnet.StopDelay)
}

func (c *canister) moduleHash() []byte {
	if c.exec.module == nil {
		return nil
	}
	h := sha256.Sum256(c.exec.module)
	return h[:]
}

func (c *canister) isController(p []byte) bool {
	for _, ctl := range c.controllers {
		if bytes.Equal(ctl, p) {
			return true
		}
	}
	return false
}

func (c *canister) snapshotsSize() uint64 {
	var n uint64
	for _, s := range c.snapshots {
		n += s.totalSize()
	}
	return n
}

func (c *canister) findSnapshot(id []byte) *snapshot {
	for _, s := range c.snapshots {
		if bytes.Equal(s.id, id) {
			return s
		}
	}
	return nil
}

func (c *canister) removeSnapshot(id []byte) {
	out := c.snapshots[:0]
	for _, s := range c.snapshots {
		if !bytes.Equal(s.id, id) {
			out = append(out, s)
		}
	}
	c.snapshots = out
}

// state is the replica's mutable state, guarded by mu.
type state struct {
	mu        sync.RWMutex
	cfg       Config
	canisters map[string]*canister
	order     []string
	nextIndex uint64
}

func newState(cfg Config) *state {
	return &state{cfg: cfg, canisters: map[string]*canister{}, nextIndex: cfg.FirstCanisterIndex}
}

func (s *state) now() time.Time { return s.cfg.Clock() }

func (s *state) nowNanos() uint64 { return uint64(s.now().UnixNano()) }

// canisterID forms the IC canister id of a 64-bit index.
func canisterID(index uint64) []byte {
	id := make([]byte, 10)
	for i := 0; i < 8; i++ {
		id[i] = byte(index >> (56 - 8*i))
	}
	id[8], id[9] = 0x01, 0x01
	return id
}

// snapshotID forms a snapshot id as the IC does: local index (8 bytes
// big-endian) followed by the canister id bytes.
func snapshotID(canister []byte, index uint64) []byte {
	id := make([]byte, 8, 8+len(canister))
	for i := 0; i < 8; i++ {
		id[i] = byte(index >> (56 - 8*i))
	}
	return append(id, canister...)
}

func (s *state) createCanister(controllers [][]byte, cycles *big.Int) *canister {
	return s.createCanisterWithID(canisterID(s.nextIndex), controllers, cycles)
}

func cloneIDs(ids [][]byte) [][]byte {
	out := make([][]byte, 0, len(ids))
	for _, id := range ids {
		out = append(out, append([]byte{}, id...))
	}
	return out
}

// createCanisterWithID creates a canister with a caller-chosen id; an IC
// style id moves the allocator past its index.
func (s *state) createCanisterWithID(id []byte, controllers [][]byte, cycles *big.Int) *canister {
	var idx uint64
	if len(id) == 10 && id[8] == 0x01 && id[9] == 0x01 {
		for i := 0; i < 8; i++ {
			idx = idx<<8 | uint64(id[i])
		}
		if idx >= s.nextIndex {
			s.nextIndex = idx + 1
		}
	}
	c := &canister{
		id:          append([]byte{}, id...),
		index:       idx,
		controllers: cloneIDs(controllers),
		cycles:      new(big.Int).Set(cycles),
		createdAt:   s.nowNanos(),
		exec: execState{
			wasm:   newZeroMemory(0),
			stable: newZeroMemory(0),
			chunks: map[string][]byte{},
		},
	}
	s.canisters[string(c.id)] = c
	s.order = append(s.order, string(c.id))
	return c
}
