// Package simfleet is the shared harness of a simulated fleet, for the
// demo, `sim start` and the tests (through internal/fleettest): the
// canic.toml that reaches a simulator, and the controller's direct calls
// that read a canister's state digest or change its state.
//
// It returns errors and imports no testing code, so the demo (part of the
// binary) uses the same code the end-to-end and crash tests do.
package simfleet

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// Environments and executors of the config ConfigTOML writes: the agent
// driver, and the dfx driver in its icp flavor, both reaching one
// simulator.
const (
	EnvAgent      = "sim"
	EnvICP        = "sim-icp"
	ExecutorAgent = "sim-agent"
	ExecutorICP   = "sim-icp"
)

// ConfigOptions add to the config ConfigTOML writes.
type ConfigOptions struct {
	// AgentExtra are more lines of the [executors.sim-agent] table.
	AgentExtra []string
	// ICPBinary is the icp CLI the sim-icp executor drives (its binary
	// key, the table's last line); empty leaves it to icp on PATH.
	ICPBinary string
}

// ConfigTOML is the canic.toml `sim start` writes beside sim.json:
// environment "sim" (the agent driver) and "sim-icp" (the dfx driver in
// its icp flavor), both signing with the simulator's controller PEM (its
// path; the key itself stays in its file), plus o's lines.
func ConfigTOML(info sim.Info, fleet string, o ConfigOptions) string {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `canic-backup sim start` for the simulator at %s.\n", info.URL)
	b.WriteString("# Use it with: canic-backup backup create --config THIS_FILE --env sim\n")
	b.WriteString("version = 1\ndefault_environment = \"sim\"\n")
	for _, env := range [][2]string{{EnvAgent, ExecutorAgent}, {EnvICP, ExecutorICP}} {
		fmt.Fprintf(&b, "\n[environments.%s]\nnetwork = \"local\"\nroot = %s\nexecutor = %s\nfleet = %s\n",
			env[0], q(info.RootCanisterID), q(env[1]), q(fleet))
	}
	fmt.Fprintf(&b, "\n[executors.sim-agent]\ndriver = \"agent\"\nurl = %s\nroot_key = %s\nidentity_pem = %s\n",
		q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM))
	for _, l := range o.AgentExtra {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "\n[executors.sim-icp]\ndriver = \"dfx\"\nflavor = \"icp\"\nnetwork = %s\nroot_key = %s\nidentity_pem = %s\n",
		q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM))
	if o.ICPBinary != "" {
		b.WriteString("binary = " + q(o.ICPBinary) + "\n")
	}
	return b.String()
}

// Principal is the bytes of the canister id text id.
func Principal(id string) ([]byte, error) {
	p, err := principal.Decode(id)
	if err != nil {
		return nil, fmt.Errorf("canister %s: %w", id, err)
	}
	return p.Raw, nil
}

// Digest is canister id's state digest (hex sha256 of its wasm and stable
// memory), as its sim_digest query answers.
func Digest(s *sim.Simulator, id string) (string, error) {
	p, err := Principal(id)
	if err != nil {
		return "", err
	}
	d, ok := s.Replica().Digest(p)
	if !ok {
		return "", fmt.Errorf("canister %s is not on the simulator", id)
	}
	return d, nil
}

// Digests is Digest of every given canister, by id.
func Digests(s *sim.Simulator, ids ...string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		d, err := Digest(s, id)
		if err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, nil
}

// Controller is the simulator's controller principal bytes.
func Controller(s *sim.Simulator) []byte {
	return s.ControllerIdentity().Sender().Raw
}

// Execute makes an update call of method with the candid argument arg
// straight to the replica, as the controller; canister nil is the
// management canister.
func Execute(ctx context.Context, s *sim.Simulator, canister []byte, method string, arg any) ([]byte, error) {
	enc, err := idl.Marshal([]any{arg})
	if err != nil {
		return nil, fmt.Errorf("encode %s argument: %w", method, err)
	}
	out, err := s.Replica().Execute(ctx, replica.Call{
		Sender: Controller(s), Canister: canister, Method: method, Arg: enc, Kind: replica.Update,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return out, nil
}

// Mutate calls canister id's sim_mutate update with n, which changes its
// memory and so its digest.
func Mutate(ctx context.Context, s *sim.Simulator, id string, n uint64) error {
	p, err := Principal(id)
	if err != nil {
		return err
	}
	arg, err := idl.Marshal([]any{n})
	if err != nil {
		return fmt.Errorf("encode sim_mutate argument: %w", err)
	}
	if _, err := s.Replica().Execute(ctx, replica.Call{
		Sender: Controller(s), Canister: p, Method: "sim_mutate", Arg: arg, Kind: replica.Update,
	}); err != nil {
		return fmt.Errorf("sim_mutate on %s: %w", id, err)
	}
	return nil
}
