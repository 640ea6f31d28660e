package dfx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// The dfx outputs in testdata/dfx are transcribed from dfx 0.32's source
// and documentation (see testdata/README.md): no dfx binary exists here.

func TestDfxRecordedOutput_Status(t *testing.T) {
	st, err := parseDFXStatus(recorded(t, "dfx/status.stdout"))
	require.NoError(t, err)
	assert.Equal(t, pluginapi.CanisterStatus{Status: pluginapi.StatusStopped,
		Controllers: []string{recController, "rwlgt-iiaaa-aaaaa-aaaaa-cai"}, ModuleHash: recModule, MemorySize: 3_145_772}, st)
	st, err = parseDFXStatus(recorded(t, "dfx/status_empty.stdout"))
	require.NoError(t, err)
	assert.Equal(t, pluginapi.StatusRunning, st.Status)
	assert.Empty(t, st.ModuleHash, "Module hash: None")
	assert.Zero(t, st.MemorySize, "Memory Size: Nat(0)")
	_, err = parseDFXStatus([]byte("Canister status call result\n"))
	assert.ErrorIs(t, err, ErrUnparsable)
}

func TestDfxRecordedOutput_CreateListUpload(t *testing.T) {
	id, err := parseDFXCreate(recorded(t, "dfx/create.stdout"))
	require.NoError(t, err)
	assert.Equal(t, "000000000000000000000000000000010101", id)

	list, err := parseDFXList(recorded(t, "dfx/list.stdout"))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, id, list[0].ID)
	assert.Equal(t, uint64(3<<20), list[0].TotalSize)
	want := time.Date(2026, 11, 25, 23, 12, 7, 0, time.UTC)
	assert.Equal(t, uint64(want.UnixNano()), list[1].TakenAtNanos)
	empty, err := parseDFXList(nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
	_, err = parseDFXList([]byte("000a: huge, taken at yesterday\n"))
	assert.ErrorIs(t, err, ErrUnparsable)

	up, err := parseDFXUpload(nil, recorded(t, "dfx/upload.stderr"))
	require.NoError(t, err)
	assert.Equal(t, "000000000000000200000000000000010101", up)
	_, err = parseDFXUpload(nil, recorded(t, "dfx/load.stderr"))
	assert.ErrorIs(t, err, ErrUnparsable)
}

func TestDfxRecordedOutput_RegistryRawAndPrincipal(t *testing.T) {
	raw, err := parseDFXCall(recorded(t, "dfx/registry_raw.stdout"))
	require.NoError(t, err)
	entries, err := decodeRegistry(raw)
	require.NoError(t, err)
	assert.Len(t, entries, 4)
	p, err := parsePrincipal(recorded(t, "dfx/principal.stdout"))
	require.NoError(t, err)
	assert.Equal(t, recController, p)
	_, err = parseDFXCall([]byte("(variant { Ok = vec {} })"))
	assert.ErrorIs(t, err, ErrUnparsable)
}
