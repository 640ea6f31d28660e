package sim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestICPAcceptsTheMainnetShapedSimulator runs the real icp CLI 1.5.0
// through status, stop, snapshot create/list/download and call against a
// simulator that charges cycles, takes time to stop and refuses calls
// before execution as mainnet does.
func TestICPAcceptsTheMainnetShapedSimulator(t *testing.T) {
	s := simtest.Start(t, sim.Options{Cycles: 20_000_000_000_000, StopDelay: 300 * time.Millisecond,
		Fleet: sim.Fleet{Name: "m", Children: 2, Depth: 1, Size: 4 << 20, Seed: 5}})
	icp := newICP(t, s)
	cid := s.Canisters()[1]
	id := cid.String()

	out := icp.canister("status", id)
	assert.Contains(t, out, "Status: Running")

	start := time.Now()
	icp.canister("stop", id)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "the stop took StopDelay")
	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "stopped", st)

	var created struct {
		SnapshotID string `json:"snapshot_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(icp.canister("snapshot", "create", id, "--json")), &created))
	assert.Contains(t, icp.canister("snapshot", "list", id, "--json"), created.SnapshotID)
	dir := filepath.Join(t.TempDir(), "snap")
	icp.canister("snapshot", "download", id, created.SnapshotID, "-o", dir)
	digest, _ := s.Replica().Digest(cid.Raw)
	assert.Equal(t, digest, fileSHA(t, filepath.Join(dir, "wasm_memory.bin"), filepath.Join(dir, "stable_memory.bin")))

	bal, _ := s.CanisterCycles(cid)
	assert.Less(t, bal, uint64(20_000_000_000_000), "the calls were charged to the canister")
	out = icp.canister("status", id)
	assert.Contains(t, out, "Status: Stopped")
	assert.Contains(t, strings.ReplaceAll(strings.ReplaceAll(out, "_", ""), ",", ""), strconv.FormatUint(bal, 10)[:6],
		"icp shows the real balance")

	// An update call to the stopped canister is refused before execution (IC0508).
	did := filepath.Join(t.TempDir(), "app.did")
	require.NoError(t, writeFile(did, "service : { sim_mutate : (nat64) -> (); sim_digest : () -> (text) query }"))
	_, errOut, err := icp.run("canister", "call", id, "sim_mutate", "(1 : nat64)", "--candid", did, "--identity", "sim", "-n", s.URL(), "-k", s.RootKeyHex())
	require.Error(t, err)
	assert.Contains(t, errOut, "IC0508")
	icp.canister("start", id)
	icp.mustRun("canister", "call", id, "sim_mutate", "(1 : nat64)", "--candid", did, "--identity", "sim", "-n", s.URL(), "-k", s.RootKeyHex())

	// A canister too poor for its snapshot: icp reports IC0207.
	poor := s.Canisters()[2]
	require.NoError(t, s.SetCycles(poor, 1_000_000))
	_, errOut, err = icp.run("canister", "snapshot", "create", poor.String(), "--identity", "sim", "-n", s.URL(), "-k", s.RootKeyHex())
	require.Error(t, err)
	assert.Contains(t, errOut, "IC0207")
	assert.Positive(t, s.Counters().NonReplicatedRejections)
}

// TestICPSeesTheStopTimeout: a stop longer than the stop timeout fails in
// icp with IC0206 and leaves the canister stopping.
func TestICPSeesTheStopTimeout(t *testing.T) {
	s := simtest.Start(t, sim.Options{StopDelay: 3 * time.Second, StopTimeout: 200 * time.Millisecond})
	icp := newICP(t, s)
	cid := s.Canisters()[1]
	_, errOut, err := icp.run("canister", "stop", cid.String(), "--identity", "sim", "-n", s.URL(), "-k", s.RootKeyHex())
	require.Error(t, err)
	assert.Contains(t, errOut, "IC0206")
	st, _ := s.Replica().Status(cid.Raw)
	assert.Equal(t, "stopping", st)
	icp.canister("start", cid.String())
	st, _ = s.Replica().Status(cid.Raw)
	assert.Equal(t, "running", st, "start_canister on a stopping canister makes it running")
}

// TestICPUnderTheRateLimit: icp's agent meets a boundary node that answers
// 429 with Retry-After, retries and succeeds. (icp 1.5.0 retries on its own
// short backoff without waiting for Retry-After; the log shows how many of
// its retries arrived inside the announced window.)
func TestICPUnderTheRateLimit(t *testing.T) {
	s := simtest.Start(t, sim.Options{RateLimit: 3})
	icp := newICP(t, s)
	cid := s.Canisters()[1]
	for i := 0; i < 5; i++ { // empty the bucket: icp's first request meets a 429
		resp, err := http.Get(s.URL() + "/api/v2/status")
		require.NoError(t, err)
		resp.Body.Close()
	}
	drained := s.Counters().RateLimited
	require.Positive(t, drained)
	out := icp.canister("status", cid.String())
	assert.Contains(t, out, "Status: Running")
	c := s.Counters()
	assert.Greater(t, c.RateLimited, drained, "icp met at least one 429 and retried")
	assert.Equal(t, uint64(1), c.Calls["canister_status"], "a 429 was not forwarded: the call ran once")
	t.Logf("icp: %d requests answered 429, %d requests inside a Retry-After window", c.RateLimited-drained, c.InsideRetryAfter)
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
