package sim

import (
	"fmt"
	"os"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
)

// InfoFileName is the default name of the info file in the state directory.
const InfoFileName = "sim.json"

// Info is what a running simulator tells its clients, written as JSON by
// WriteInfo (sim.json): where it listens, its root key, its canisters and
// the identity that controls them.
type Info struct {
	// URL is the base URL, e.g. "http://127.0.0.1:40123".
	URL string `json:"url"`
	// RootKeyHex is the 266-hex DER root key, the value of icp's -k.
	RootKeyHex string `json:"root_key_hex"`
	// SubnetID is the principal text of the simulated root (NNS) subnet,
	// whose key is RootKeyHex.
	SubnetID string `json:"subnet_id"`
	// Subnets lists every simulated subnet, the NNS subnet first.
	Subnets []SubnetInfo `json:"subnets,omitempty" wire:"default"`
	// CanisterSubnets maps each canister id to the subnet id serving it.
	CanisterSubnets map[string]string `json:"canister_subnets,omitempty" wire:"default"`
	// RootCanisterID is the principal text of the fleet's root canister.
	RootCanisterID string `json:"root_canister_id"`
	// CanisterIDs lists every canister, root first.
	CanisterIDs []string `json:"canister_ids"`
	// ControllerPEM is the path of a PEM identity controlling every canister.
	ControllerPEM string `json:"controller_pem"`
	// ControllerPrincipal is that identity's principal text.
	ControllerPrincipal string `json:"controller_principal"`
	// CountersURL is the debug endpoint with per-method call counters.
	CountersURL string `json:"counters_url"`
}

// WriteInfo writes info as pretty JSON to path atomically (mode 0644; it
// holds the PEM's path, never its contents).
func WriteInfo(path string, info Info) error {
	data, err := wire.MarshalPretty(info)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadInfo reads an info file written by WriteInfo.
func ReadInfo(path string) (Info, error) {
	var info Info
	data, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("read simulator info: %w", err)
	}
	if err := wire.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("decode simulator info %s: %w", path, err)
	}
	return info, nil
}
