package sim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// icpBinary finds the icp CLI 1.5.0: $CANIC_ICP_BIN (set by `make test`),
// the repository's .cache (`make icp`), or the machine's npm copy.
func icpBinary(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	candidates := []string{
		os.Getenv("CANIC_ICP_BIN"),
		filepath.Join(filepath.Dir(file), "..", ".cache", "npm", "node_modules", "@icp-sdk", "icp-cli-linux-x64", "bin", "icp"),
		"/tmp/icpnpm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp",
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	t.Fatalf("icp CLI not found: run `make icp` or set CANIC_ICP_BIN (looked in %q)", candidates)
	return ""
}

// icpCLI runs icp against one simulator with an isolated HOME.
type icpCLI struct {
	t    *testing.T
	bin  string
	home string
	net  []string
}

func newICP(t *testing.T, s *sim.Simulator) *icpCLI {
	c := &icpCLI{t: t, bin: icpBinary(t), home: t.TempDir(),
		net: []string{"-n", s.URL(), "-k", s.RootKeyHex()}}
	c.mustRun("identity", "import", "sim", "--from-pem", s.ControllerPEMPath(), "--storage", "plaintext")
	return c
}

func (c *icpCLI) run(args ...string) (string, string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+c.home, "DO_NOT_TRACK=1", "RUST_BACKTRACE=0",
		"XDG_CONFIG_HOME="+filepath.Join(c.home, ".config"), "XDG_DATA_HOME="+filepath.Join(c.home, ".local", "share"))
	cmd.Dir = c.home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (c *icpCLI) mustRun(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	require.NoError(c.t, err, "icp %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	return out
}

// canister runs `icp canister <args> --identity sim -n URL -k KEY`.
func (c *icpCLI) canister(args ...string) string {
	c.t.Helper()
	return c.mustRun(append(append([]string{"canister"}, args...), append([]string{"--identity", "sim"}, c.net...)...)...)
}

func fileSHA(t *testing.T, paths ...string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestICPSnapshotLifecycle runs the official icp CLI 1.5.0 through status,
// stop, snapshot create/list/download/upload/restore/delete and start, and
// checks the downloaded files against the bytes the simulator holds and
// the digest restored by an uploaded snapshot.
func TestICPSnapshotLifecycle(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	icp := newICP(t, s)
	cid := s.Canisters()[1]
	id := cid.String()
	rep := s.Replica()

	out := icp.canister("status", id)
	assert.Contains(t, out, "Status: Running")
	icp.canister("stop", id)
	st, _ := rep.Status(cid.Raw)
	assert.Equal(t, "stopped", st)
	assert.Contains(t, icp.canister("status", id), "Status: Stopped")

	var created struct {
		SnapshotID string `json:"snapshot_id"`
		TotalSize  uint64 `json:"total_size_bytes"`
	}
	require.NoError(t, json.Unmarshal([]byte(icp.canister("snapshot", "create", id, "--json")), &created))
	require.NotEmpty(t, created.SnapshotID)
	assert.Contains(t, icp.canister("snapshot", "list", id, "--json"), created.SnapshotID)

	dir := filepath.Join(t.TempDir(), "snap")
	icp.canister("snapshot", "download", id, created.SnapshotID, "-o", dir)
	digest, _ := rep.Digest(cid.Raw)
	assert.Equal(t, digest, fileSHA(t, filepath.Join(dir, "wasm_memory.bin"), filepath.Join(dir, "stable_memory.bin")),
		"downloaded memories equal the bytes the simulator holds")
	mh, _ := rep.ModuleHash(cid.Raw)
	assert.Equal(t, hex.EncodeToString(mh), fileSHA(t, filepath.Join(dir, "wasm_module.bin")))
	_, err := os.Stat(filepath.Join(dir, "metadata.json"))
	require.NoError(t, err)

	// change the canister, then bring it back from the uploaded snapshot
	a := simtest.Agent(t, s, nil)
	icp.canister("start", id)
	require.NoError(t, a.Call(cid, "sim_mutate", []any{uint64(7)}, []any{}))
	changed, _ := rep.Digest(cid.Raw)
	require.NotEqual(t, digest, changed)
	icp.canister("stop", id)

	var uploaded struct {
		SnapshotID string `json:"snapshot_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(icp.canister("snapshot", "upload", id, "-i", dir, "--json")), &uploaded))
	require.NotEmpty(t, uploaded.SnapshotID)
	assert.NotEqual(t, created.SnapshotID, uploaded.SnapshotID)
	icp.canister("snapshot", "restore", id, uploaded.SnapshotID)
	restored, _ := rep.Digest(cid.Raw)
	assert.Equal(t, digest, restored, "restoring the uploaded snapshot brings the digest back")

	icp.canister("snapshot", "delete", id, created.SnapshotID)
	list := icp.canister("snapshot", "list", id, "--json")
	assert.NotContains(t, list, created.SnapshotID)
	assert.Contains(t, list, uploaded.SnapshotID)
	icp.canister("start", id)
	st, _ = rep.Status(cid.Raw)
	assert.Equal(t, "running", st)

	c := s.Counters()
	assert.Positive(t, c.Endpoints["v4/call"], "icp uses the v4 call endpoint")
	assert.Equal(t, uint64(1), c.Calls["upload_canister_snapshot_metadata"])
	assert.Equal(t, uint64(1), c.Calls["load_canister_snapshot"])
}

// TestICPRefusesNonControllerAndBadKey checks icp sees the IC's rejection
// of a non-controller, and that a wrong root key fails certificate checks.
func TestICPRefusesNonControllerAndBadKey(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	icp := newICP(t, s)
	id := s.Canisters()[0].String()

	_, errOut, err := icp.run("canister", "stop", id, "--identity", "anonymous", "-n", s.URL(), "-k", s.RootKeyHex())
	require.Error(t, err)
	assert.Contains(t, errOut, "Only the controllers of the canister "+id)
	assert.Contains(t, errOut, "IC0512")
	assert.Contains(t, errOut, principal.AnonymousID.String())

	other := simtest.Start(t, sim.Options{})
	_, errOut, err = icp.run("canister", "status", id, "--identity", "sim", "-n", s.URL(), "-k", other.RootKeyHex())
	require.Error(t, err)
	assert.NotEmpty(t, errOut)
	st, _ := s.Replica().Status(s.Canisters()[0].Raw)
	assert.Equal(t, "running", st)
}
