package replica

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
)

// defaultProvisionalCycles is the IC's default provisional balance.
var defaultProvisionalCycles = new(big.Int).SetUint64(100_000_000_000_000)

// text renders principal bytes in the IC's textual form.
func text(id []byte) string { return pr(id).String() }

// mgmtHandler runs one management method with the replica lock held.
type mgmtHandler func(s *state, sender []byte, a args) ([]byte, error)

// mgmtMethods lists the management methods; readOnly ones run under the
// read lock and may be called as queries.
var mgmtMethods = map[string]struct {
	fn       mgmtHandler
	readOnly bool
}{
	"provisional_create_canister_with_cycles": {fn: (*state).createCanisterCall},
	"create_canister":                         {fn: (*state).createCanisterCall},
	"install_code":                            {fn: (*state).installCode},
	"uninstall_code":                          {fn: (*state).uninstallCode},
	"canister_status":                         {fn: (*state).canisterStatus, readOnly: true},
	"stop_canister":                           {fn: (*state).stopCanister},
	"start_canister":                          {fn: (*state).startCanister},
	"update_settings":                         {fn: (*state).updateSettings},
	"upload_chunk":                            {fn: (*state).uploadChunk},
	"take_canister_snapshot":                  {fn: (*state).takeSnapshot},
	"load_canister_snapshot":                  {fn: (*state).loadSnapshot},
	"list_canister_snapshots":                 {fn: (*state).listSnapshots, readOnly: true},
	"delete_canister_snapshot":                {fn: (*state).deleteSnapshot},
	"read_canister_snapshot_metadata":         {fn: (*state).readSnapshotMetadata, readOnly: true},
	"read_canister_snapshot_data":             {fn: (*state).readSnapshotData, readOnly: true},
	"upload_canister_snapshot_metadata":       {fn: (*state).uploadSnapshotMetadata},
	"upload_canister_snapshot_data":           {fn: (*state).uploadSnapshotData},
}

// queryableMgmt are the management methods the IC accepts as queries.
var queryableMgmt = map[string]bool{"canister_status": true}

func (s *state) executeMgmt(c Call) ([]byte, error) {
	m, ok := mgmtMethods[c.Method]
	if !ok {
		return nil, reject(ErrUnknownManagementMessage, "Management canister has no method '%s'", c.Method)
	}
	if c.Kind == Query && !queryableMgmt[c.Method] {
		return nil, reject(ErrCanisterMethodNotFound, "Management canister has no query method '%s'", c.Method)
	}
	a, err := decodeArgs(c.Method, c.Arg)
	if err != nil {
		return nil, reject(ErrInvalidManagementPayload, "%s", err.Error())
	}
	if c.Serves != nil {
		if id, err := a.principal("canister_id"); err == nil && !c.Serves(id) {
			return nil, notFound(id)
		}
	}
	if m.readOnly {
		// An update call is charged under the write lock; the read itself
		// then runs under the read lock so downloads proceed in parallel.
		if c.Kind == Update {
			s.mu.Lock()
			err := s.chargeMgmt(c.Method, a)
			s.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		return m.fn(s, c.Sender, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Kind == Update {
		if err := s.chargeMgmt(c.Method, a); err != nil {
			return nil, err
		}
	}
	return m.fn(s, c.Sender, a)
}

// payloadErr turns an argument decoding error into the IC's reject.
func payloadErr(err error) error {
	return reject(ErrInvalidManagementPayload, "%s", err.Error())
}

func notFound(id []byte) error {
	return reject(ErrCanisterNotFound, "Canister %s not found.%s", text(id),
		help("Check the ICP dashboard to ensure the canister exists.", "canister-not-found"))
}

func notController(c *canister, sender []byte) error {
	ctls := make([]string, 0, len(c.controllers))
	for _, ctl := range c.controllers {
		ctls = append(ctls, text(ctl))
	}
	return reject(ErrCanisterInvalidController,
		"Only the controllers of the canister %s can control it.\nCanister's controllers: %s\nSender's ID: %s%s",
		text(c.id), strings.Join(ctls, " "), text(sender),
		help("Execute this call from a controller of the target canister or add the current caller as a controller.", "invalid-controller"))
}

func snapshotNotFound(canisterID, snapshotID []byte) error {
	return reject(ErrCanisterSnapshotNotFound, "Could not find the snapshot ID %s for canister %s.%s",
		hex.EncodeToString(snapshotID), text(canisterID),
		help("Use the `list_canister_snapshot` API to see which snapshots are present.", "canister-snapshot-not-found"))
}

// target finds the canister named by the canister_id field.
func (s *state) target(a args) (*canister, error) {
	id, err := a.principal("canister_id")
	if err != nil {
		return nil, payloadErr(err)
	}
	c, ok := s.canisters[string(id)]
	if !ok {
		return nil, notFound(id)
	}
	return c, nil
}

// controlled finds the target and checks the sender controls it.
func (s *state) controlled(sender []byte, a args) (*canister, error) {
	c, err := s.target(a)
	if err != nil {
		return nil, err
	}
	if !c.isController(sender) {
		return nil, notController(c, sender)
	}
	return c, nil
}

func (s *state) createCanisterCall(sender []byte, a args) ([]byte, error) {
	cycles := defaultProvisionalCycles
	if v, ok := a.raw("amount"); ok && v != nil {
		n, ok := v.(idl.Nat)
		if !ok {
			return nil, payloadErr(a.wrong("amount", "an opt nat", v))
		}
		if n.BigInt() != nil {
			cycles = n.BigInt()
		}
	}
	controllers := [][]byte{sender}
	if v, ok := a.raw("settings"); ok && v != nil {
		ctl, set, err := settingsControllers(a, v)
		if err != nil {
			return nil, payloadErr(err)
		}
		if set {
			controllers = ctl
		}
	}
	var c *canister
	if v, ok := a.raw("specified_id"); ok && v != nil {
		id, err := a.principal("specified_id")
		if err != nil {
			return nil, payloadErr(err)
		}
		if _, exists := s.canisters[string(id)]; exists {
			return nil, reject(ErrCanisterIDAlreadyExists,
				"Unsuccessful canister creation: canister id %s already exists.", text(id))
		}
		c = s.createCanisterWithID(id, controllers, cycles)
	} else {
		c = s.createCanister(controllers, cycles)
	}
	return encode(tCreateResult, map[string]any{"canister_id": pr(c.id)})
}

// settingsControllers reads settings.controllers (an opt vec principal).
func settingsControllers(a args, v any) ([][]byte, bool, error) {
	sub := a.sub(v)
	raw, ok := sub.raw("controllers")
	if !ok || raw == nil {
		return nil, false, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, false, a.wrong("settings.controllers", "an opt vec principal", raw)
	}
	out := make([][]byte, 0, len(list))
	for _, x := range list {
		p, ok := x.(principal.Principal)
		if !ok {
			return nil, false, a.wrong("settings.controllers", "an opt vec principal", x)
		}
		out = append(out, append([]byte{}, p.Raw...))
	}
	if len(out) > 10 {
		return nil, false, a.wrong("settings.controllers", "at most 10 principals", raw)
	}
	return out, true, nil
}

func (s *state) installCode(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	mode, _, err := a.variant("mode", "install", "reinstall", "upgrade")
	if err != nil {
		return nil, payloadErr(err)
	}
	module, err := a.blob("wasm_module")
	if err != nil {
		return nil, payloadErr(err)
	}
	if mode == "install" && c.exec.module != nil {
		return nil, reject(ErrCanisterNonEmpty,
			"Canister %s cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.%s",
			text(c.id), help("Check that you want to overwrite the canister and, if so, use mode='reinstall'.", "canister-not-empty"))
	}
	h := sha256.Sum256(module)
	seed := splitmix64(uint64(h[0])<<56|uint64(h[1])<<48|uint64(h[2])<<40|uint64(h[3])<<32|uint64(h[4])<<24) ^ c.index
	stable := c.exec.stable
	if mode != "upgrade" || c.exec.module == nil {
		stable = newZeroMemory(0)
	}
	c.exec.module = module
	c.exec.wasm = newSeededMemory(pageSize, seed)
	c.exec.stable = stable
	c.exec.globals = defaultGlobals()
	c.exec.certifiedData = nil
	c.version++
	return emptyReply, nil
}

func defaultGlobals() []global {
	return []global{{Kind: "i32", Bits: 0}, {Kind: "i64", Bits: 0}}
}

func (s *state) uninstallCode(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	uninstall(c)
	return emptyReply, nil
}

func uninstall(c *canister) {
	c.exec.module = nil
	c.exec.wasm = newZeroMemory(0)
	c.exec.stable = newZeroMemory(0)
	c.exec.globals = nil
	c.exec.certifiedData = nil
	c.exec.chunks = map[string][]byte{}
	c.exec.chunkOrder = nil
	c.version++
}

func (s *state) stopCanister(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	c.stopAt = nil
	if c.status != statusStopped {
		c.status = statusStopped
		c.version++
	}
	return emptyReply, nil
}

func (s *state) startCanister(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	c.stopAt = nil // a pending stop is cancelled (its call gets IC0511)
	if c.status != statusRunning {
		c.status = statusRunning
		c.version++
	}
	return emptyReply, nil
}

func (s *state) updateSettings(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	v, ok := a.raw("settings")
	if !ok {
		return nil, payloadErr(a.missing("settings"))
	}
	ctl, set, err := settingsControllers(a, v)
	if err != nil {
		return nil, payloadErr(err)
	}
	if set {
		c.controllers = ctl
	}
	c.version++
	return emptyReply, nil
}

func (s *state) uploadChunk(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	chunk, err := a.blob("chunk")
	if err != nil {
		return nil, payloadErr(err)
	}
	if len(chunk) > 1<<20 {
		return nil, reject(ErrCanisterContractViolation, "Error from Wasm chunk store: Wasm chunk size %d exceeds the maximum chunk size of %d.", len(chunk), 1<<20)
	}
	h := addChunk(&c.exec, chunk)
	return encode(rec(map[string]idl.Type{"hash": tBlob}), map[string]any{"hash": h})
}

// addChunk stores a chunk in a chunk store and returns its hash.
func addChunk(e *execState, chunk []byte) []byte {
	h := sha256.Sum256(chunk)
	key := hex.EncodeToString(h[:])
	if _, ok := e.chunks[key]; !ok {
		e.chunks[key] = append([]byte(nil), chunk...)
		e.chunkOrder = append(e.chunkOrder, key)
	}
	return h[:]
}

func (s *state) canisterStatus(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	ctls := make([]any, 0, len(c.controllers))
	for _, ctl := range c.controllers {
		ctls = append(ctls, pr(ctl))
	}
	var mh any
	if h := c.moduleHash(); h != nil {
		mh = h
	}
	chunks := c.exec.chunkBytes()
	snaps := c.snapshotsSize()
	memSize := c.exec.wasm.size + c.exec.stable.size + uint64(len(c.exec.module)) + chunks + snaps + uint64(len(c.exec.globals))*8
	controllersVis := variantOf("controllers", nil)
	return encode(tCanisterStatus, map[string]any{
		"status":              variantOf(c.currentStatus().String(), nil),
		"ready_for_migration": false,
		"version":             c.version,
		"settings": map[string]any{
			"controllers":                           ctls,
			"compute_allocation":                    nat(0),
			"memory_allocation":                     nat(0),
			"freezing_threshold":                    nat(2_592_000),
			"reserved_cycles_limit":                 nat(5_000_000_000_000),
			"minimum_incoming_canister_call_cycles": nat(0),
			"log_visibility":                        controllersVis,
			"log_memory_limit":                      nat(4096),
			"snapshot_visibility":                   controllersVis,
			"status_visibility":                     controllersVis,
			"wasm_memory_limit":                     nat(3 << 30),
			"wasm_memory_threshold":                 nat(0),
			"environment_variables":                 []any{},
		},
		"module_hash": mh,
		"memory_size": nat(memSize),
		"memory_metrics": map[string]any{
			"wasm_memory_size":      nat(c.exec.wasm.size),
			"stable_memory_size":    nat(c.exec.stable.size),
			"global_memory_size":    nat(uint64(len(c.exec.globals)) * 8),
			"wasm_binary_size":      nat(uint64(len(c.exec.module))),
			"custom_sections_size":  nat(0),
			"canister_history_size": nat(0),
			"wasm_chunk_store_size": nat(chunks),
			"snapshots_size":        nat(snaps),
			"log_memory_store_size": nat(0),
		},
		"cycles":                     natBig(c.cycles),
		"reserved_cycles":            nat(0),
		"idle_cycles_burned_per_day": natBig(cyclecost.IdleBurnPerDay(memSize)),
		"query_stats": map[string]any{
			"num_calls_total":              nat(c.queryCalls),
			"num_instructions_total":       nat(0),
			"request_payload_bytes_total":  nat(0),
			"response_payload_bytes_total": nat(0),
		},
	})
}
