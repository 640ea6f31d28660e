package replica

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/wire"
)

// State directory layout:
//
//	state.json        the document below (written last, atomically)
//	pages-<gen>.bin   every distinct written memory page once, 64 KiB each;
//	                  memories list (page index, slot) pairs into it
//	blobs/<sha256>    wasm modules and chunk-store chunks, content-addressed
//
// Unwritten pages are not stored: they regenerate from their seed.

const stateFormat = "canic-sim-replica/1"

type stateDoc struct {
	Format     string        `json:"format"`
	Generation uint64        `json:"generation"`
	PagesFile  string        `json:"pages_file"`
	NextIndex  uint64        `json:"next_index"`
	Canisters  []canisterDoc `json:"canisters"`
}

type canisterDoc struct {
	ID          string        `json:"id"`
	Index       uint64        `json:"index"`
	Controllers []string      `json:"controllers"`
	Status      string        `json:"status"`
	Version     uint64        `json:"version"`
	Cycles      string        `json:"cycles"`
	CreatedAt   uint64        `json:"created_at"`
	Exec        execDoc       `json:"exec"`
	Snapshots   []snapshotDoc `json:"snapshots"`
	NextSnap    uint64        `json:"next_snapshot"`
	Registry    []registryDoc `json:"registry"`
	IsRoot      bool          `json:"is_root"`
}

type registryDoc struct {
	PID        string  `json:"pid"`
	Role       string  `json:"role"`
	ParentPID  *string `json:"parent_pid"`
	ModuleHash *string `json:"module_hash"`
	CreatedAt  uint64  `json:"created_at"`
}

type snapshotDoc struct {
	ID        string  `json:"id"`
	Index     uint64  `json:"index"`
	TakenAt   uint64  `json:"taken_at"`
	Uploaded  bool    `json:"uploaded"`
	Version   uint64  `json:"version"`
	ModuleLen uint64  `json:"module_len"`
	Exec      execDoc `json:"exec"`
}

type globalDoc struct {
	Kind string  `json:"kind"`
	Bits uint64  `json:"bits"`
	Big  *string `json:"big"`
}

type execDoc struct {
	Module        *string     `json:"module"`
	Wasm          memoryDoc   `json:"wasm"`
	Stable        memoryDoc   `json:"stable"`
	Chunks        []string    `json:"chunks"`
	Globals       []globalDoc `json:"globals"`
	CertifiedData string      `json:"certified_data"`
	Timer         *timer      `json:"timer"`
	Hook          *string     `json:"hook"`
}

type memoryDoc struct {
	Size  uint64      `json:"size"`
	Seed  uint64      `json:"seed"`
	Zero  bool        `json:"zero"`
	Pages [][2]uint64 `json:"pages"` // (page index, slot in the pages file)
}

// saver collects distinct pages and blobs while building the document.
type saver struct {
	dir   string
	slots map[*byte]uint64
	pages [][]byte
}

func (sv *saver) blob(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	path := filepath.Join(sv.dir, "blobs", name)
	if _, err := os.Stat(path); err == nil {
		return name, nil
	}
	err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
	return name, err
}

func (sv *saver) memory(m *memory) memoryDoc {
	d := memoryDoc{Size: m.size, Seed: m.seed, Zero: m.zero, Pages: [][2]uint64{}}
	for idx, p := range m.pages {
		slot, ok := sv.slots[&p[0]]
		if !ok {
			slot = uint64(len(sv.pages))
			sv.slots[&p[0]] = slot
			sv.pages = append(sv.pages, p)
		}
		d.Pages = append(d.Pages, [2]uint64{idx, slot})
	}
	return d
}

func (sv *saver) exec(e *execState) (execDoc, error) {
	d := execDoc{Wasm: sv.memory(e.wasm), Stable: sv.memory(e.stable), Chunks: []string{},
		Globals: []globalDoc{}, CertifiedData: hex.EncodeToString(e.certifiedData), Timer: e.timer, Hook: e.hook}
	if e.module != nil {
		name, err := sv.blob(e.module)
		if err != nil {
			return d, err
		}
		d.Module = &name
	}
	for _, k := range e.chunkOrder {
		if _, err := sv.blob(e.chunks[k]); err != nil {
			return d, err
		}
		d.Chunks = append(d.Chunks, k)
	}
	for _, g := range e.globals {
		gd := globalDoc{Kind: g.Kind, Bits: g.Bits}
		if g.Big != nil {
			s := g.Big.String()
			gd.Big = &s
		}
		d.Globals = append(d.Globals, gd)
	}
	return d, nil
}

// Save writes the whole state to dir (created if missing). Files are written
// atomically and state.json last, so a crash leaves the previous state
// loadable.
func (r *Replica) Save(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return fmt.Errorf("save replica state %s: %w", dir, err)
	}
	// Hold the write lock: saving reads pages that writes would replace.
	s := r.st
	s.mu.Lock()
	defer s.mu.Unlock()

	prev, _ := readStateDoc(dir)
	gen := uint64(1)
	if prev != nil {
		gen = prev.Generation + 1
	}
	sv := &saver{dir: dir, slots: map[*byte]uint64{}}
	doc := stateDoc{Format: stateFormat, Generation: gen, PagesFile: fmt.Sprintf("pages-%d.bin", gen),
		NextIndex: s.nextIndex, Canisters: []canisterDoc{}}
	for _, key := range s.order {
		c := s.canisters[key]
		cd := canisterDoc{ID: hex.EncodeToString(c.id), Index: c.index, Controllers: []string{},
			Status: c.currentStatus().String(), Version: c.version, Cycles: c.cycles.String(), CreatedAt: c.createdAt,
			Snapshots: []snapshotDoc{}, NextSnap: c.nextSnap, Registry: []registryDoc{}, IsRoot: c.registry != nil}
		for _, ctl := range c.controllers {
			cd.Controllers = append(cd.Controllers, hex.EncodeToString(ctl))
		}
		var err error
		if cd.Exec, err = sv.exec(&c.exec); err != nil {
			return fmt.Errorf("save replica state %s: %w", dir, err)
		}
		for _, sn := range c.snapshots {
			sd := snapshotDoc{ID: hex.EncodeToString(sn.id), Index: sn.index, TakenAt: sn.takenAt,
				Uploaded: sn.uploaded, Version: sn.version, ModuleLen: sn.moduleLen}
			if sd.Exec, err = sv.exec(&sn.state); err != nil {
				return fmt.Errorf("save replica state %s: %w", dir, err)
			}
			cd.Snapshots = append(cd.Snapshots, sd)
		}
		for _, e := range c.registry {
			rd := registryDoc{PID: hex.EncodeToString(e.PID), Role: e.Role, CreatedAt: e.CreatedAt}
			if e.ParentPID != nil {
				p := hex.EncodeToString(e.ParentPID)
				rd.ParentPID = &p
			}
			if e.ModuleHash != nil {
				h := hex.EncodeToString(e.ModuleHash)
				rd.ModuleHash = &h
			}
			cd.Registry = append(cd.Registry, rd)
		}
		doc.Canisters = append(doc.Canisters, cd)
	}
	err := writeAtomic(filepath.Join(dir, doc.PagesFile), func(w io.Writer) error {
		for _, p := range sv.pages {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save replica state %s: %w", dir, err)
	}
	data, err := wire.MarshalPretty(doc)
	if err != nil {
		return fmt.Errorf("save replica state %s: %w", dir, err)
	}
	if err := writeAtomic(filepath.Join(dir, "state.json"), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("save replica state %s: %w", dir, err)
	}
	// Old generations are garbage now.
	if olds, _ := filepath.Glob(filepath.Join(dir, "pages-*.bin")); olds != nil {
		for _, o := range olds {
			if filepath.Base(o) != doc.PagesFile {
				_ = os.Remove(o)
			}
		}
	}
	return nil
}

func readStateDoc(dir string) (*stateDoc, error) {
	path := filepath.Join(dir, "state.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc stateDoc
	if err := wire.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadState, path, err)
	}
	if doc.Format != stateFormat {
		return nil, fmt.Errorf("%w: %s: field format = %q, want %q", ErrBadState, path, doc.Format, stateFormat)
	}
	return &doc, nil
}

// loader reads pages and blobs back.
type loader struct {
	dir   string
	path  string
	pages *os.File
	slots map[uint64][]byte
}

func (ld *loader) bad(field, value string, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %s: field %s = %q: %w", ErrBadState, ld.path, field, value, err)
	}
	return fmt.Errorf("%w: %s: field %s = %q", ErrBadState, ld.path, field, value)
}

func (ld *loader) hexField(field, v string) ([]byte, error) {
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, ld.bad(field, v, err)
	}
	return b, nil
}

func (ld *loader) blob(field, name string) ([]byte, error) {
	if len(name) != 64 || strings.ContainsAny(name, "/\\.") {
		return nil, ld.bad(field, name, nil)
	}
	data, err := os.ReadFile(filepath.Join(ld.dir, "blobs", name))
	if err != nil {
		return nil, ld.bad(field, name, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != name {
		return nil, ld.bad(field, name, errors.New("blob content does not match its hash"))
	}
	return data, nil
}

func (ld *loader) memory(field string, d memoryDoc) (*memory, error) {
	m := &memory{size: d.Size, seed: d.Seed, zero: d.Zero, pages: map[uint64][]byte{}, owned: map[uint64]bool{}}
	for _, ps := range d.Pages {
		idx, slot := ps[0], ps[1]
		if idx*pageSize >= d.Size+pageSize {
			return nil, ld.bad(field+".pages", fmt.Sprint(idx), errors.New("page beyond memory size"))
		}
		p, ok := ld.slots[slot]
		if !ok {
			p = make([]byte, pageSize)
			if _, err := ld.pages.ReadAt(p, int64(slot)*pageSize); err != nil {
				return nil, ld.bad(field+".pages", fmt.Sprint(slot), err)
			}
			ld.slots[slot] = p
		}
		m.pages[idx] = p
	}
	return m, nil
}

func (ld *loader) exec(field string, d execDoc) (execState, error) {
	var e execState
	var err error
	if d.Module != nil {
		if e.module, err = ld.blob(field+".module", *d.Module); err != nil {
			return e, err
		}
	}
	if e.wasm, err = ld.memory(field+".wasm", d.Wasm); err != nil {
		return e, err
	}
	if e.stable, err = ld.memory(field+".stable", d.Stable); err != nil {
		return e, err
	}
	e.chunks = map[string][]byte{}
	for _, k := range d.Chunks {
		c, err := ld.blob(field+".chunks", k)
		if err != nil {
			return e, err
		}
		e.chunks[k] = c
		e.chunkOrder = append(e.chunkOrder, k)
	}
	for _, g := range d.Globals {
		gl := global{Kind: g.Kind, Bits: g.Bits}
		if g.Big != nil {
			b, ok := new(big.Int).SetString(*g.Big, 10)
			if !ok {
				return e, ld.bad(field+".globals.big", *g.Big, nil)
			}
			gl.Big = b
		}
		e.globals = append(e.globals, gl)
	}
	if d.CertifiedData != "" {
		if e.certifiedData, err = ld.hexField(field+".certified_data", d.CertifiedData); err != nil {
			return e, err
		}
	}
	e.timer, e.hook = d.Timer, d.Hook
	return e, nil
}

// Load reads a state directory written by Save. A missing directory or
// state.json is an error wrapping os.ErrNotExist; a damaged one wraps
// ErrBadState and names the file, field and value.
func Load(dir string, cfg Config) (*Replica, error) {
	r, err := newReplica(cfg)
	if err != nil {
		return nil, err
	}
	doc, err := readStateDoc(dir)
	if err != nil {
		return nil, fmt.Errorf("load replica state %s: %w", dir, err)
	}
	ld := &loader{dir: dir, path: filepath.Join(dir, "state.json"), slots: map[uint64][]byte{}}
	if strings.ContainsAny(doc.PagesFile, "/\\") {
		return nil, ld.bad("pages_file", doc.PagesFile, nil)
	}
	if ld.pages, err = os.Open(filepath.Join(dir, doc.PagesFile)); err != nil {
		return nil, ld.bad("pages_file", doc.PagesFile, err)
	}
	defer ld.pages.Close()
	s := r.st
	s.nextIndex = doc.NextIndex
	for i, cd := range doc.Canisters {
		field := fmt.Sprintf("canisters[%d]", i)
		c := &canister{index: cd.Index, version: cd.Version, createdAt: cd.CreatedAt, nextSnap: cd.NextSnap}
		if c.id, err = ld.hexField(field+".id", cd.ID); err != nil {
			return nil, err
		}
		if _, dup := s.canisters[string(c.id)]; dup {
			return nil, ld.bad(field+".id", cd.ID, errors.New("duplicate canister"))
		}
		for _, ctl := range cd.Controllers {
			b, err := ld.hexField(field+".controllers", ctl)
			if err != nil {
				return nil, err
			}
			c.controllers = append(c.controllers, b)
		}
		switch cd.Status {
		case "running":
			c.status = statusRunning
		case "stopping":
			c.status = statusStopping
		case "stopped":
			c.status = statusStopped
		default:
			return nil, ld.bad(field+".status", cd.Status, nil)
		}
		var ok bool
		if c.cycles, ok = new(big.Int).SetString(cd.Cycles, 10); !ok {
			return nil, ld.bad(field+".cycles", cd.Cycles, nil)
		}
		if c.exec, err = ld.exec(field+".exec", cd.Exec); err != nil {
			return nil, err
		}
		for j, sd := range cd.Snapshots {
			sf := fmt.Sprintf("%s.snapshots[%d]", field, j)
			sn := &snapshot{index: sd.Index, takenAt: sd.TakenAt, uploaded: sd.Uploaded, version: sd.Version, moduleLen: sd.ModuleLen}
			if sn.id, err = ld.hexField(sf+".id", sd.ID); err != nil {
				return nil, err
			}
			if sn.state, err = ld.exec(sf+".exec", sd.Exec); err != nil {
				return nil, err
			}
			if sn.uploaded && sn.state.module == nil {
				sn.state.module = make([]byte, sn.moduleLen)
			}
			c.snapshots = append(c.snapshots, sn)
		}
		if cd.IsRoot {
			c.registry = []registryEntry{}
		}
		for _, rd := range cd.Registry {
			e := registryEntry{Role: rd.Role, CreatedAt: rd.CreatedAt}
			if e.PID, err = ld.hexField(field+".registry.pid", rd.PID); err != nil {
				return nil, err
			}
			if rd.ParentPID != nil {
				if e.ParentPID, err = ld.hexField(field+".registry.parent_pid", *rd.ParentPID); err != nil {
					return nil, err
				}
			}
			if rd.ModuleHash != nil {
				if e.ModuleHash, err = ld.hexField(field+".registry.module_hash", *rd.ModuleHash); err != nil {
					return nil, err
				}
			}
			c.registry = append(c.registry, e)
		}
		s.canisters[string(c.id)] = c
		s.order = append(s.order, string(c.id))
	}
	return r, nil
}
