package dfx

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

const (
	recCanister   = "rrkah-fqaaa-aaaaa-aaaaq-cai"
	recController = "l2sog-p3s66-vf3rw-shg77-rrg4w-7vntv-zm2jm-zybsk-y5xtf-yzdjc-qqe"
	recModule     = "86ea11dddbda5edce430d811456750caa445f67199bc9d2949c38114c71dc899"
)

func TestICPRecordedOutput_StatusJSONNumbersWithUnderscores(t *testing.T) {
	st, err := parseICPStatus(recorded(t, "icp/icp_status_json.stdout"))
	require.NoError(t, err)
	cycles := uint64(100_000_000_000_000)
	assert.Equal(t, pluginapi.CanisterStatus{Status: pluginapi.StatusRunning, Controllers: []string{recController},
		ModuleHash: recModule, MemorySize: 3_145_772, Cycles: &cycles, FreezingThresholdSeconds: 2_592_000}, st)
	// A balance beyond 64 bits saturates instead of making status unreadable.
	rich := []byte(`{"status":"Running","cycles":"99_999_999_999_999_999_999_999"}`)
	st, err = parseICPStatus(rich)
	require.NoError(t, err)
	require.NotNil(t, st.Cycles)
	assert.Equal(t, ^uint64(0), *st.Cycles)
	st, err = parseICPStatus(recorded(t, "icp/icp_status_stopped_json.stdout"))
	require.NoError(t, err)
	assert.Equal(t, pluginapi.StatusStopped, st.Status)
}

func TestICPRecordedOutput_StatusText(t *testing.T) {
	st, err := parseICPStatusText(recorded(t, "icp/icp_status.stdout"))
	require.NoError(t, err)
	assert.Equal(t, pluginapi.CanisterStatus{Status: pluginapi.StatusRunning, Controllers: []string{recController},
		ModuleHash: recModule, MemorySize: 3_145_772}, st)
}

func TestICPRecordedOutput_CreateJSONWithoutNewline(t *testing.T) {
	b := recorded(t, "icp/icp_create_json.stdout")
	require.NotEqual(t, byte('\n'), b[len(b)-1], "the recording keeps icp's missing newline")
	info, err := parseICPCreate(b)
	require.NoError(t, err)
	assert.Equal(t, pluginapi.SnapshotInfo{ID: "000000000000000000000000000000010101",
		TakenAtNanos: 1795648326884784070, TotalSize: 3145772}, info)
}

func TestICPRecordedOutput_ListJSON(t *testing.T) {
	list, err := parseICPList(recorded(t, "icp/icp_list_json.stdout"))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "000000000000000100000000000000010101", list[1].ID)
	assert.Equal(t, uint64(1795648326953664901), list[1].TakenAtNanos)
	empty, err := parseICPList(recorded(t, "icp/icp_list_empty_json.stdout"))
	require.NoError(t, err)
	assert.Empty(t, empty)
	assert.NotNil(t, empty)
}

func TestICPRecordedOutput_ListQuietPrintsTableToo(t *testing.T) {
	out := recorded(t, "icp/icp_list_q.stdout")
	assert.Contains(t, string(out), "Snapshots for canister", "the 1.5.0 quirk is in the recording")
	assert.Equal(t, []string{"000000000000000000000000000000010101", "000000000000000100000000000000010101"}, parseICPListQuiet(out))
	assert.Empty(t, parseICPListQuiet(recorded(t, "icp/icp_list_q_empty.stdout")))
}

func TestICPRecordedOutput_UploadIDInSentenceAndJSON(t *testing.T) {
	id, err := parseICPUpload(recorded(t, "icp/icp_upload.stdout"))
	require.NoError(t, err)
	assert.Equal(t, "000000000000000300000000000000010101", id)
	id, err = parseICPUpload(recorded(t, "icp/icp_upload_json.stdout"))
	require.NoError(t, err)
	assert.Equal(t, "000000000000000200000000000000010101", id)
	_, err = parseICPUpload([]byte("Uploading…"))
	assert.ErrorIs(t, err, ErrUnparsable)
}

func TestICPRecordedOutput_RegistryCallJSON(t *testing.T) {
	raw, err := parseICPCall(recorded(t, "icp/icp_registry.stdout"))
	require.NoError(t, err)
	entries, err := decodeRegistry(raw)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, "rwlgt-iiaaa-aaaaa-aaaaa-cai", entries[0].PID)
	assert.Equal(t, "root", entries[0].Role)
	assert.Empty(t, entries[0].ParentPID)
	assert.Equal(t, recCanister, entries[1].PID)
	assert.Equal(t, "app_0", entries[1].Role)
	assert.Equal(t, "rwlgt-iiaaa-aaaaa-aaaaa-cai", entries[1].ParentPID)
	assert.Equal(t, recModule, entries[1].ModuleHash)
	assert.Equal(t, uint64(1_795_648_321_796_947_417), entries[1].CreatedAt)
}

func TestICPRecordedOutput_ErrorsClassify(t *testing.T) {
	cases := map[string]pluginapi.Code{
		"icp/icp_create_running.stderr":      pluginapi.CodeNotStopped,
		"icp/icp_stop_anonymous.stderr":      pluginapi.CodeUnauthorized,
		"icp/icp_status_unknown.stderr":      pluginapi.CodeNotFound,
		"icp/icp_delete_unknown.stderr":      pluginapi.CodeNotFound,
		"icp/icp_status_refused.stderr":      pluginapi.CodeTransient,
		"icp/icp_upload_resume_fresh.stderr": pluginapi.CodeInternal,
	}
	r := &runner{errLines: 6}
	for file, want := range cases {
		ce := &CommandError{Command: "icp x", ExitStatus: 1, Stderr: r.firstLines(output{stderr: recorded(t, file)})}
		assert.Equal(t, want, classify(ce), file)
		err := protocolError("doing x", ce)
		assert.ErrorIs(t, err, want, file)
		assert.Contains(t, err.Error(), "command `icp x` exited with status 1: Error:", file)
	}
}

func TestICPOutputGarbageIsUnparsable(t *testing.T) {
	_, err := parseICPStatus([]byte("not json"))
	assert.ErrorIs(t, err, ErrUnparsable)
	_, err = parseICPStatus([]byte(`{"status":"Sleeping"}`))
	assert.ErrorIs(t, err, ErrUnparsable)
	_, err = parseICPCreate([]byte(`{"snapshot_id":"xyz"}`))
	assert.ErrorIs(t, err, ErrUnparsable)
	_, err = parseICPList([]byte(`{}`))
	assert.ErrorIs(t, err, ErrUnparsable)
	_, err = parseICPCall([]byte(`{"response_bytes":"zz"}`))
	assert.ErrorIs(t, err, ErrUnparsable)
	_, err = decodeRegistry([]byte("DIDL\x00\x01\x7d\x01"))
	assert.ErrorIs(t, err, ErrUnparsable)
}
