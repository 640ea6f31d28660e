package sim_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsAgentDir finds DFINITY's JavaScript agent (npm @icp-sdk/core, installed
// by `make jsagent` into .cache/jsagent) and node. Under CI=true, or when
// CANIC_JSAGENT_DIR is set (`make test` sets it), a missing one fails the
// test; elsewhere the test is skipped with the command that installs it.
func jsAgentDir(t *testing.T) (node, core string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	core = os.Getenv("CANIC_JSAGENT_DIR")
	if core == "" {
		core = filepath.Join(filepath.Dir(file), "..", ".cache", "jsagent", "node_modules", "@icp-sdk", "core")
	}
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(core, "package.json"))
	if err == nil && statErr == nil {
		return node, core
	}
	msg := "DFINITY's JavaScript agent is not installed: run `make jsagent` (needs node and npm); looked for node in PATH and @icp-sdk/core in " + core
	if os.Getenv("CI") == "true" || os.Getenv("CANIC_JSAGENT_DIR") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return "", ""
}

// TestJSAgentVouchesForTheSimulator runs sim/jsagent/check.mjs: DFINITY's
// official JavaScript agent verifies the simulator's certificates and a
// query's node signature, reads
// canister status (certified read_state paths and canister_status), takes a
// snapshot and reads its metadata and data, and sees a non-controller's
// management call as an uncertified rejection (IC0512), as on mainnet.
func TestJSAgentVouchesForTheSimulator(t *testing.T) {
	node, core := jsAgentDir(t)
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "js", Children: 2, Depth: 1, Size: 4 << 20, Seed: 3}})
	infoPath := filepath.Join(t.TempDir(), "sim.json")
	require.NoError(t, sim.WriteInfo(infoPath, s.Info()))
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "jsagent", "check.mjs")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, core, infoPath)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, "node check.mjs\nstdout: %s\nstderr: %s", out, stderr)

	var got struct {
		Controllers    []string `json:"controllers"`
		ModuleHash     string   `json:"module_hash"`
		Digest         string   `json:"digest"`
		SnapshotID     string   `json:"snapshot_id"`
		SliceSize      string   `json:"slice_size"`
		SliceSHA256    string   `json:"slice_sha256"`
		CyclesAfter    string   `json:"cycles_after"`
		MemorySize     string   `json:"memory_size"`
		StrangerReject struct {
			RejectCode int    `json:"reject_code"`
			ErrorCode  string `json:"error_code"`
			Certified  bool   `json:"certified"`
		} `json:"stranger_reject"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	target := s.Canisters()[len(s.Canisters())-1]
	assert.Equal(t, []string{s.Info().ControllerPrincipal}, got.Controllers)
	mh, _ := s.Replica().ModuleHash(target.Raw)
	assert.Equal(t, hex.EncodeToString(mh), got.ModuleHash)
	digest, _ := s.Replica().Digest(target.Raw)
	assert.Equal(t, digest, got.Digest, "the verified query answered the canister's digest")
	assert.Equal(t, 5, got.StrangerReject.RejectCode)
	assert.Equal(t, "IC0512", got.StrangerReject.ErrorCode)
	assert.False(t, got.StrangerReject.Certified)
	c := s.Counters()
	assert.Equal(t, uint64(1), c.NonReplicatedRejections, "the stranger's call was refused before execution")
	assert.Equal(t, uint64(1), c.Calls["take_canister_snapshot"])
	bal, _ := s.CanisterCycles(target)
	assert.Equal(t, strconv.FormatUint(bal, 10), got.CyclesAfter, "canister_status reported the real balance")

	// the slice the JS agent read is the snapshot's wasm memory
	id, err := hex.DecodeString(got.SnapshotID)
	require.NoError(t, err)
	size, err := strconv.ParseUint(got.SliceSize, 10, 64)
	require.NoError(t, err)
	var res readDataResult
	require.NoError(t, agentFor(t, s).Call(mgmt, "read_canister_snapshot_data", []any{readDataArgs{
		CanisterID: target, SnapshotID: id, Kind: dataKind{WasmMemory: &rangeArg{Offset: 0, Size: size}},
	}}, []any{&res}))
	sum := sha256.Sum256(res.Chunk)
	assert.Equal(t, hex.EncodeToString(sum[:]), got.SliceSHA256)
}
