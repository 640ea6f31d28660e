package dfx

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// TestDfxRecordedOutput_ExecutorWiring runs the dfx flavor end to end
// against a fake dfx (a shell script; no dfx binary exists here) that
// replays the transcribed dfx outputs in testdata/dfx and logs its argv, to
// check which command each method runs and what it makes of the output.
func TestDfxRecordedOutput_ExecutorWiring(t *testing.T) {
	data, err := filepath.Abs("testdata/dfx")
	require.NoError(t, err)
	log := filepath.Join(t.TempDir(), "argv")
	bin := fakeCLI(t, `echo "$*" >> `+log+`
D=`+data+`
case "$1 $2 $3" in
"canister status "*) cat $D/status.stdout ;;
"canister stop "*) cat $D/stop.stderr >&2 ;;
"canister snapshot create") cat $D/create.stdout ;;
"canister snapshot list") cat $D/list.stdout ;;
"canister snapshot upload") cat $D/upload.stderr >&2 ;;
"canister snapshot load") cat $D/load.stderr >&2 ;;
"canister snapshot delete") echo "Error: Could not find the snapshot ID $5" >&2; exit 1 ;;
"canister snapshot download") mkdir -p "$7"; printf '{}' > "$7/metadata.json"; printf 'm' > "$7/wasm_module.bin"; printf 'mem' > "$7/wasm_memory.bin"; cat $D/download.stderr >&2 ;;
"canister call "*) cat $D/registry_raw.stdout ;;
"identity get-principal --identity") cat $D/principal.stdout ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac`)
	e := fakeExecutor(t, bin, func(s *Settings) { s.Network, s.Identity = "ic", "ops" })
	e.uploadState = t.TempDir()
	ctx := context.Background()
	tg := pluginapi.Target{CanisterID: recCanister}

	st, err := e.CanisterStatus(ctx, tg)
	require.NoError(t, err)
	assert.Equal(t, pluginapi.StatusStopped, st.Status)
	require.NoError(t, e.StopCanister(ctx, tg))
	info, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	assert.Equal(t, "000000000000000000000000000000010101", info.ID)
	assert.Equal(t, uint64(3<<20), info.TotalSize, "size and time come from the list")
	assert.NotZero(t, info.TakenAtNanos)

	dir := filepath.Join(t.TempDir(), "snap")
	res, err := e.DownloadSnapshot(ctx, tg, info.ID, dir, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), res.Bytes)
	assert.FileExists(t, filepath.Join(dir, "stable_memory.bin"), "dfx omits an empty stable memory; the executor writes it")
	_, err = e.DownloadSnapshot(ctx, tg, info.ID, dir, nil)
	require.NoError(t, err)

	up, err := e.UploadSnapshot(ctx, tg, dir, nil)
	require.NoError(t, err)
	assert.Equal(t, "000000000000000200000000000000010101", up.SnapshotID)
	// dfx uploads from a staging copy of dir and leaves its progress file
	// there when interrupted.
	stage, err := e.stageUpload(dir, recCanister)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(stage, up.SnapshotID+".json"), []byte("{}"), 0o644))
	_, err = e.UploadSnapshot(ctx, tg, dir, nil)
	require.NoError(t, err)
	require.NoError(t, e.LoadSnapshot(ctx, tg, up.SnapshotID))
	assert.ErrorIs(t, e.DeleteSnapshot(ctx, tg, "00ff"), pluginapi.CodeNotFound)

	entries, err := e.QueryRegistry(ctx, "", "rwlgt-iiaaa-aaaaa-aaaaa-cai")
	require.NoError(t, err)
	assert.Len(t, entries, 4)
	pre, err := e.Preflight(ctx, pluginapi.PreflightRequest{Root: "rwlgt-iiaaa-aaaaa-aaaaa-cai", CanisterIDs: []string{recCanister}})
	require.NoError(t, err)
	assert.True(t, pre.Targets[0].IdentityIsController)
	assert.True(t, pre.Targets[0].RootIsController)

	b, err := os.ReadFile(log)
	require.NoError(t, err)
	tail := " --network ic --identity ops"
	want := []string{
		"canister status " + recCanister + tail,
		"canister stop " + recCanister + tail,
		"canister snapshot create " + recCanister + tail,
		"canister snapshot list " + recCanister + tail,
		"canister snapshot download " + recCanister + " " + info.ID + " --dir " + dir + tail,
		"canister snapshot download " + recCanister + " " + info.ID + " --dir " + dir + " --resume" + tail,
		"canister snapshot upload " + recCanister + " --dir " + stage + tail,
		"canister snapshot upload " + recCanister + " --dir " + stage + " --resume " + up.SnapshotID + tail,
		"canister snapshot load " + recCanister + " " + up.SnapshotID + tail,
		"canister snapshot delete " + recCanister + " 00ff" + tail,
		"canister call rwlgt-iiaaa-aaaaa-aaaaa-cai canic_subnet_registry () --query --output raw" + tail,
		"identity get-principal --identity ops",
		"canister status " + recCanister + tail,
	}
	assert.Equal(t, want, strings.Split(strings.TrimSpace(string(b)), "\n"))
	_, err = os.Stat(stage)
	assert.ErrorIs(t, err, os.ErrNotExist, "a finished upload removes its staging directory")
}
