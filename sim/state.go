package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
)

// Files of a state directory.
const (
	stateFileName   = "sim-state.json"
	controllerFile  = "controller.pem"
	replicaDirName  = "replica"
	stateFileFormat = 1
)

// ErrBadState means a state directory's sim-state.json is unusable.
var ErrBadState = errors.New("bad simulator state")

// persisted is sim-state.json: what a restart needs besides the replica.
// It holds the key seed, so it is written with mode 0600.
type persisted struct {
	Version        uint32   `json:"version"`
	KeySeedHex     string   `json:"key_seed_hex"`
	RootCanisterID string   `json:"root_canister_id"`
	CanisterIDs    []string `json:"canister_ids"`
	// Subnets is Options.Subnets of the first start; 0 (states written
	// before subnets existed) means one.
	Subnets int `json:"subnets,omitempty" wire:"default"`
}

func loadPersisted(dir string) (*persisted, error) {
	path := filepath.Join(dir, stateFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var p persisted
	if err := wire.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadState, path, err)
	}
	if p.Version != stateFileFormat {
		return nil, fmt.Errorf("%w: %s: field version is %d, want %d", ErrBadState, path, p.Version, stateFileFormat)
	}
	if _, err := p.seed(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadState, path, err)
	}
	if _, err := principal.Decode(p.RootCanisterID); err != nil {
		return nil, fmt.Errorf("%w: %s: field root_canister_id %q: %v", ErrBadState, path, p.RootCanisterID, err)
	}
	return &p, nil
}

func (p *persisted) seed() ([]byte, error) {
	b, err := hex.DecodeString(p.KeySeedHex)
	if err != nil || len(b) == 0 {
		return nil, errors.New("field key_seed_hex is not non-empty hex")
	}
	return b, nil
}

func (p *persisted) save(dir string) error {
	data, err := wire.MarshalPretty(p)
	if err != nil {
		return fmt.Errorf("encode simulator state: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, stateFileName), data, 0o600)
}

func randomSeed() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random key seed: %w", err)
	}
	return b, nil
}
