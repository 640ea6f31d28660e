package replica

import (
	"context"
	"time"
)

type state struct{ cfg Config }

func newReplica(cfg Config) (*Replica, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Replica{st: &state{cfg: cfg}}, nil
}

func (r *Replica) execute(ctx context.Context, c Call) ([]byte, error) {
	return nil, &Reject{Code: RejectDestinationInvalid, Message: "not implemented", ErrorCode: "IC0301"}
}

// Controllers returns the controllers of a canister, and whether it exists.
func (r *Replica) Controllers(canister []byte) ([][]byte, bool) { return nil, false }

// ModuleHash returns the sha256 of the installed module (nil if the canister
// is empty), and whether the canister exists.
func (r *Replica) ModuleHash(canister []byte) ([]byte, bool) { return nil, false }

// CanisterIDs lists every canister id in creation order.
func (r *Replica) CanisterIDs() [][]byte { return nil }

// SeedFleet creates and installs a Canic fleet.
func (r *Replica) SeedFleet(spec FleetSpec) (Fleet, error) { return Fleet{}, nil }

// Save writes the whole state to dir atomically.
func (r *Replica) Save(dir string) error { return nil }

// Load reads a state directory written by Save.
func Load(dir string, cfg Config) (*Replica, error) { return newReplica(cfg) }
