package manifest

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/wire"
)

// FileName is the manifest's file name inside a backup directory.
const FileName = "fleet-backup-manifest.json"

// Decode parses a manifest document with serde's strictness. It does not
// validate; see DecodeValid.
func Decode(data []byte) (*FleetBackupManifest, error) {
	var m FleetBackupManifest
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", FileName, err)
	}
	return &m, nil
}

// DecodeValid parses a manifest document and validates it.
func DecodeValid(data []byte) (*FleetBackupManifest, error) {
	m, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Encode validates m and renders it as a layout file (serde_json pretty
// printing, no trailing newline). An invalid manifest is never encoded.
func (m *FleetBackupManifest) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return wire.MarshalPretty(m)
}
