package archive

import (
	"context"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
)

// FleetLockKey is the key of the fleet's cross-host run lock:
// locks/fleet-<layout.FileSafe(fleet)>.json.
func FleetLockKey(fleet string) string {
	return LocksPrefix + "fleet-" + layout.FileSafe(fleet) + ".json"
}

// LockFleet takes the fleet's cross-host run lock, the lease object
// locks/fleet-<file-safe fleet>.json in s (store.AcquireLease).
func LockFleet(ctx context.Context, s store.Store, fleet string, opts store.LeaseOptions) (*store.Lease, error) {
	return store.AcquireLease(ctx, s, FleetLockKey(fleet), opts)
}
