package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// icpBinary finds icp 1.5.0: $CANIC_ICP_BIN or this machine's npm copy.
func icpBinary(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("CANIC_ICP_BIN"), "/tmp/icpnpm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"} {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	t.Fatalf("icp CLI not found: set CANIC_ICP_BIN to icp 1.5.0")
	return ""
}

// icp runs `icp canister <args> --identity sim -n URL -k KEY` with an
// isolated HOME.
type icp struct {
	t          *testing.T
	bin, home  string
	url, rootK string
}

func newICP(t *testing.T, s *sim.Simulator) *icp {
	c := &icp{t: t, bin: icpBinary(t), home: t.TempDir(), url: s.URL(), rootK: s.RootKeyHex()}
	c.run("identity", "import", "sim", "--from-pem", s.ControllerPEMPath(), "--storage", "plaintext")
	return c
}

func (c *icp) run(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+c.home, "DO_NOT_TRACK=1", "RUST_BACKTRACE=0",
		"XDG_CONFIG_HOME="+filepath.Join(c.home, ".config"), "XDG_DATA_HOME="+filepath.Join(c.home, ".local", "share"))
	cmd.Dir = c.home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(c.t, cmd.Run(), "icp %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out.String(), errb.String())
	return out.String()
}

func (c *icp) canister(args ...string) string {
	c.t.Helper()
	return c.run(append(append([]string{"canister"}, args...), "--identity", "sim", "-n", c.url, "-k", c.rootK)...)
}

// TestICPInterop: a directory downloaded by this driver is accepted by
// `icp canister snapshot upload` and restores the same state; a directory
// downloaded by icp is accepted by UploadSnapshot; and metadata.json is
// byte-identical to icp's.
func TestICPInterop(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "icp", Children: 1, Depth: 1, Size: 5 << 20, Seed: 4}})
	cli := newICP(t, s)
	e := newExecutor(t, s)
	ctx := ctxT(t)
	c := s.Canisters()[1]
	tg := target(c)
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	want := digest(t, s, c)

	ours := filepath.Join(t.TempDir(), "ours")
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, ours, nil)
	require.NoError(t, err)
	theirs := filepath.Join(t.TempDir(), "theirs")
	cli.canister("snapshot", "download", c.String(), snap.ID, "-o", theirs)
	for _, f := range []string{"metadata.json", "wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"} {
		a, err := os.ReadFile(filepath.Join(ours, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(theirs, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s is byte-identical to icp's", f)
	}

	// Ours into icp: upload + restore brings the state back.
	require.NoError(t, e.StartCanister(ctx, tg))
	mutate(t, s, c, 5)
	require.NotEqual(t, want, digest(t, s, c))
	require.NoError(t, e.StopCanister(ctx, tg))
	var up struct {
		SnapshotID string `json:"snapshot_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(cli.canister("snapshot", "upload", c.String(), "-i", ours, "--json")), &up))
	cli.canister("snapshot", "restore", c.String(), up.SnapshotID)
	assert.Equal(t, want, digest(t, s, c), "icp restores the state from the driver's download")

	// icp's into ours.
	require.NoError(t, e.StartCanister(ctx, tg))
	mutate(t, s, c, 6)
	require.NoError(t, e.StopCanister(ctx, tg))
	res, err := e.UploadSnapshot(ctx, tg, theirs, nil)
	require.NoError(t, err)
	require.NoError(t, e.LoadSnapshot(ctx, tg, res.SnapshotID))
	assert.Equal(t, want, digest(t, s, c), "the driver restores the state from icp's download")
}
