package dfx

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// TestClassifySnapshotLimitIsNotUnauthorized: IC0406 (CanisterRejectedMessage)
// is what the IC answers when a canister already holds its maximum of
// snapshots; the identity is a controller, so the failure must not be
// reported as "unauthorized" (found by the e2e test of a failing icp
// backup). A non-controller is IC0512 and stays unauthorized.
func TestClassifySnapshotLimitIsNotUnauthorized(t *testing.T) {
	limit := "Error: direct update call failed: The replica returned a rejection error: reject code CanisterReject, " +
		"reject message Canister ryjl3-tyaaa-aaaaa-aaaba-cai has reached the maximum number of snapshots allowed: 10. " +
		"Consider deleting an unnecessary snapshot of the specified canister before creating a new one., error code Some(\"IC0406\")"
	assert.Equal(t, pluginapi.CodeInternal, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: limit}))

	notController := "Error: ... reject message Only the controllers of the canister rrkah-fqaaa-aaaaa-aaaaq-cai can control it., error code Some(\"IC0512\")"
	assert.Equal(t, pluginapi.CodeUnauthorized, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: notController}))
}

// TestClassifySubnetOversubscribedIsTransient: IC0101 (SubnetOversubscribed,
// reject code SYS_TRANSIENT) as icp prints it when looking a canister up is
// worth retrying (found by the e2e backup under simulated transient rejects).
func TestClassifySubnetOversubscribedIsTransient(t *testing.T) {
	stderr := "Error: Error looking up canister ryjl3-tyaaa-aaaaa-aaaba-cai: Some(\"IC0101\") - simulated transient failure: the subnet is oversubscribed, try again"
	assert.Equal(t, pluginapi.CodeTransient, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: stderr}))
}
