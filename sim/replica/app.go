package replica

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/canic-backup/canic-backup/internal/cyclecost"
)

// The built-in application every installed canister runs:
//
//	sim_mutate : (nat64) -> ()        update: rewrites part of its memory
//	sim_digest : () -> (text) query   hex sha256(wasm memory ‖ stable memory)
//
// and, on a Canic root, canic_subnet_registry (E.2).

// mutateSpan is how many bytes sim_mutate rewrites in each memory.
const mutateSpan = 4096

type appMethod struct {
	query bool
	fn    func(s *state, c *canister, arg []byte) ([]byte, error)
}

var appMethods = map[string]appMethod{
	"sim_mutate":            {fn: (*state).simMutate},
	"sim_digest":            {query: true, fn: (*state).simDigest},
	"canic_subnet_registry": {query: true, fn: (*state).subnetRegistry},
}

func (s *state) executeApp(c Call) ([]byte, error) {
	m, known := appMethods[c.Method]
	if known && m.query && c.Kind == Query {
		s.mu.RLock()
		defer s.mu.RUnlock()
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	can, ok := s.canisters[string(c.Canister)]
	if !ok {
		return nil, reject(ErrCanisterNotFound, "Canister %s not found.", text(c.Canister))
	}
	switch can.currentStatus() {
	case statusStopped:
		return nil, reject(ErrCanisterStopped, "Canister %s is stopped and therefore does not have a CallContextManager", text(can.id))
	case statusStopping:
		return nil, reject(ErrCanisterStopping, "Canister %s is stopping", text(can.id))
	}
	if can.exec.module == nil {
		return nil, reject(ErrCanisterWasmModuleNotFound, "Attempted to execute a message, but the canister contains no Wasm module.")
	}
	if known && c.Method == "canic_subnet_registry" && can.registry == nil {
		known = false
	}
	if !known || (c.Kind == Query && !m.query) {
		return nil, reject(ErrCanisterMethodNotFound, "Canister %s has no %s method '%s'", text(can.id), c.Kind, c.Method)
	}
	if c.Kind == Update {
		if err := s.charge(can, cyclecost.Execution(0), can.memory()); err != nil {
			return nil, err
		}
	}
	return m.fn(s, can, c.Arg)
}

func (s *state) simMutate(c *canister, arg []byte) ([]byte, error) {
	vals, err := decodeCandid(arg)
	if err != nil || len(vals) != 1 {
		return nil, reject(ErrCanisterCalledTrap, "Canister %s trapped explicitly: sim_mutate expects (nat64): %v", text(c.id), err)
	}
	n, ok := vals[0].(uint64)
	if !ok {
		return nil, reject(ErrCanisterCalledTrap, "Canister %s trapped explicitly: sim_mutate expects (nat64), got %T", text(c.id), vals[0])
	}
	buf := make([]byte, mutateSpan)
	for _, mem := range []*memory{c.exec.wasm, c.exec.stable} {
		if mem.size == 0 {
			continue
		}
		span := uint64(mutateSpan)
		if span > mem.size {
			span = mem.size
		}
		off := splitmix64(n^0xA5A5A5A5) % (mem.size - span + 1)
		for i := uint64(0); i < span; i += 8 {
			var w [8]byte
			x := splitmix64(n*0x100000001B3 + i)
			for j := 0; j < 8; j++ {
				w[j] = byte(x >> (8 * j))
			}
			copy(buf[i:span], w[:])
		}
		mem.writeAt(buf[:span], off)
	}
	if len(c.exec.globals) > 1 {
		c.exec.globals[1].Bits = n
	}
	c.version++
	return emptyReply, nil
}

func (s *state) simDigest(c *canister, _ []byte) ([]byte, error) {
	return encode(tText, digest(&c.exec))
}

// digest is lower-case hex sha256 of wasm memory followed by stable memory.
func digest(e *execState) string {
	h := sha256.New()
	e.wasm.hashInto(h)
	e.stable.hashInto(h)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *state) subnetRegistry(c *canister, _ []byte) ([]byte, error) {
	entries := make([]any, 0, len(c.registry))
	for _, e := range c.registry {
		var parent, hash any
		if e.ParentPID != nil {
			parent = pr(e.ParentPID)
		}
		if e.ModuleHash != nil {
			hash = e.ModuleHash
		}
		entries = append(entries, map[string]any{
			"pid":  pr(e.PID),
			"role": e.Role,
			"record": map[string]any{
				"pid":         pr(e.PID),
				"role":        e.Role,
				"parent_pid":  parent,
				"module_hash": hash,
				"created_at":  e.CreatedAt,
			},
		})
	}
	out, err := encode(tRegistryResult, variantOf("Ok", entries))
	if err != nil {
		return nil, fmt.Errorf("encode registry: %w", err)
	}
	return out, nil
}
