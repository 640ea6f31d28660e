package dfx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestClassifyTransientRejectsByTheirICPairs: the simulator's injected
// transient failure is IC0201 CanisterQueueFull (SYS_TRANSIENT), worth
// retrying, as icp prints it when looking a canister up. IC0101
// SubnetOversubscribed is SYS_FATAL on the IC (rs/types/error_types), so it
// is no longer retried: this test asserted it transient while the
// simulator sent it with the wrong reject code (docs/compat.md).
func TestClassifyTransientRejectsByTheirICPairs(t *testing.T) {
	stderr := "Error: Error looking up canister ryjl3-tyaaa-aaaaa-aaaba-cai: Some(\"IC0201\") - simulated transient failure: the canister's queue is full, try again"
	assert.Equal(t, pluginapi.CodeTransient, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: stderr}))
	fatal := "Error: Error looking up canister ryjl3-tyaaa-aaaaa-aaaba-cai: Some(\"IC0101\") - the subnet is oversubscribed"
	assert.Equal(t, pluginapi.CodeInternal, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: fatal}))
}

func recordedStderr(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "icp", name))
	require.NoError(t, err)
	return string(b)
}

// TestClassifyRecordedICPFaults maps what the real icp 1.5.0 printed for
// each mainnet fault (testdata/README.md) to its own code: out of cycles
// (not retried), stop timeout, rate limited (not sent), never transient
// or internal.
func TestClassifyRecordedICPFaults(t *testing.T) {
	for file, want := range map[string]pluginapi.Code{
		"icp_stop_out_of_cycles.stderr":   pluginapi.CodeCycles,
		"icp_create_out_of_cycles.stderr": pluginapi.CodeCycles,
		"icp_status_out_of_cycles.stderr": pluginapi.CodeCycles,
		"icp_stop_timeout.stderr":         pluginapi.CodeStopTimeout,
		"icp_status_rate_limited.stderr":  pluginapi.CodeRateLimited,
	} {
		got := classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: recordedStderr(t, file)})
		assert.Equal(t, want, got, file)
	}
	unknown := "Error: direct update call failed: TimeoutWaitingForResponse"
	assert.Equal(t, pluginapi.CodeUnknown, classify(&CommandError{Command: "icp x", ExitStatus: 1, Stderr: unknown}))
}

// TestOutOfCyclesMessageNamesCanisterBalanceAndTopUp: the message an
// operator reads names the canister, the balance icp printed and a top-up
// command for the executor's own network.
func TestOutOfCyclesMessageNamesCanisterBalanceAndTopUp(t *testing.T) {
	cause := &CommandError{Command: "icp canister snapshot create ryjl3-tyaaa-aaaaa-aaaba-cai", ExitStatus: 1,
		Stderr: recordedStderr(t, "icp_create_out_of_cycles.stderr")}
	e := &Executor{sel: selection{flavor: FlavorICP, network: "http://127.0.0.1:4943", rootKey: "fetch", identity: "canic-backup"}}
	err := e.protocolError("create snapshot of canister ryjl3-tyaaa-aaaaa-aaaba-cai", cause)
	require.ErrorIs(t, err, pluginapi.CodeCycles)
	msg := err.Error()
	assert.Contains(t, msg, "canister ryjl3-tyaaa-aaaaa-aaaba-cai is out of cycles (IC0207)")
	assert.Contains(t, msg, "balance 1000000 cycles (freezing threshold 642950989 cycles)")
	assert.Contains(t, msg, "icp canister top-up --amount 1t ryjl3-tyaaa-aaaaa-aaaba-cai -n http://127.0.0.1:4943 -k fetch")
	assert.NotContains(t, msg, "--identity canic-backup", "the executor's private identity is not the one to pay")

	d := &Executor{sel: selection{flavor: FlavorDFX, network: "ic"}}
	err = d.protocolError("stop canister ryjl3-tyaaa-aaaaa-aaaba-cai", &CommandError{Command: "dfx canister stop", ExitStatus: 1,
		Stderr: recordedStderr(t, "icp_stop_out_of_cycles.stderr")})
	assert.Contains(t, err.Error(), "dfx cycles top-up ryjl3-tyaaa-aaaaa-aaaba-cai 1000000000000 --network ic")
}

// TestUnknownOutcomeOfAReadIsTransient: a read whose answer icp never got
// changed nothing, so it is transient; a stop with the same fate is
// unknown, for the engine to reconcile.
func TestUnknownOutcomeOfAReadIsTransient(t *testing.T) {
	ce := &CommandError{Command: "icp canister status x", ExitStatus: 1, Stderr: "Error: TimeoutWaitingForResponse"}
	e := &Executor{sel: selection{flavor: FlavorICP, network: "ic"}}
	assert.ErrorIs(t, e.readError("status of canister x", ce), pluginapi.CodeTransient)
	assert.ErrorIs(t, e.protocolError("stop canister x", ce), pluginapi.CodeUnknown)
}
