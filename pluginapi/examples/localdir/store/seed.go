package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Demo names the canisters SeedDemo creates.
type Demo struct {
	// Identity is the executor's principal.
	Identity string
	// Root is the root canister: running, controlled by Identity.
	Root string
	// App is a running child canister controlled by Identity and Root.
	App string
	// Foreign is a canister Identity does not control.
	Foreign string
	// Missing is a canister id that does not exist.
	Missing string
	// MemorySize is the size of App's wasm_memory.bin.
	MemorySize int
}

// SeedDemo writes a three-canister fleet under root whose App canister has
// a wasm memory of memorySize bytes.
func SeedDemo(root string, memorySize int) (Demo, error) {
	d := Demo{
		Identity:   "wo5qg-ysjiq-5da6i-e4jbs-tiyrg-kmvua-hrhlq-ugsfm-zr5ew-ga5tq-2ae",
		Root:       "uxrrr-q7777-77774-qaaaq-cai",
		App:        "u6s2n-gx777-77774-qaaba-cai",
		Foreign:    "uzt4z-lp777-77774-qaabq-cai",
		Missing:    "umunu-kh777-77774-qaaca-cai",
		MemorySize: memorySize,
	}
	parent := d.Root
	fleet := Fleet{Identity: d.Identity, Root: d.Root, Registry: []RegistryEntry{
		{PID: d.Root, Role: "root", CreatedAt: 1_700_000_000},
		{PID: d.App, Role: "app", ParentPID: &parent, CreatedAt: 1_700_000_100},
	}}
	if err := writeDoc(filepath.Join(root, "fleet.json"), fleet); err != nil {
		return Demo{}, err
	}
	canisters := []struct {
		id          string
		controllers []string
		memory      int
	}{
		{d.Root, []string{d.Identity}, 4096},
		{d.App, []string{d.Identity, d.Root}, memorySize},
		{d.Foreign, []string{"aaaaa-aa"}, 1024},
	}
	for _, c := range canisters {
		module := []byte("\x00asm\x01\x00\x00\x00" + c.id)
		sum := sha256.Sum256(module)
		hash := hex.EncodeToString(sum[:])
		doc := Canister{Status: "running", Controllers: c.controllers, ModuleHash: hash}
		dir := filepath.Join(root, "canisters", c.id)
		if err := writeDoc(filepath.Join(dir, "canister.json"), doc); err != nil {
			return Demo{}, err
		}
		state := filepath.Join(dir, "state")
		memory := make([]byte, c.memory)
		for i := range memory {
			memory[i] = byte(i*7 + len(c.id))
		}
		chunk := []byte("chunk of " + c.id)
		chunkSum := sha256.Sum256(chunk)
		meta := fmt.Sprintf("{\n  \"source\": {\n    \"taken_from_canister\": null\n  },\n  \"wasm_module_size\": %d,\n  \"wasm_memory_size\": %d,\n  \"stable_memory_size\": 3\n}", len(module), len(memory))
		files := map[string][]byte{
			pluginapi.SnapshotMetadataFile:                                       []byte(meta),
			pluginapi.SnapshotWasmModuleFile:                                     module,
			pluginapi.SnapshotWasmMemoryFile:                                     memory,
			pluginapi.SnapshotStableMemoryFile:                                   {1, 2, 3},
			filepath.Join(chunkStoreDir, hex.EncodeToString(chunkSum[:])+".bin"): chunk,
		}
		for name, b := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(state, name)), 0o755); err != nil {
				return Demo{}, err
			}
			if err := os.WriteFile(filepath.Join(state, name), b, 0o644); err != nil {
				return Demo{}, err
			}
		}
	}
	return d, nil
}
