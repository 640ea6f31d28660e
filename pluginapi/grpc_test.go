package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake is an Executor whose methods return what the test sets.
type fake struct {
	Executor // unimplemented methods panic
	err      error
	panicMsg string
	status   CanisterStatus
	events   []Progress
}

func (f *fake) CanisterStatus(_ context.Context, _ Target) (CanisterStatus, error) {
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	return f.status, f.err
}

func (f *fake) StopCanister(ctx context.Context, _ Target) error {
	<-ctx.Done()
	return ctx.Err()
}

func (f *fake) DownloadSnapshot(_ context.Context, _ Target, id, _ string, progress ProgressFunc) (TransferResult, error) {
	for _, p := range f.events {
		progress(p)
	}
	return TransferResult{SnapshotID: id, Bytes: 10, ResumedBytes: 4}, f.err
}

// inProcess connects a grpcClient to impl over a real in-process gRPC
// connection, without a subprocess.
func inProcess(t *testing.T, impl Executor) Executor {
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		pluginName: &grpcPlugin{impl: impl, name: "fake"},
	})
	// Stop the server before closing the client: Close sends a Shutdown RPC
	// whose handler would otherwise stop the server concurrently.
	t.Cleanup(func() { server.Stop(); _ = client.Close() })
	raw, err := client.Dispense(pluginName)
	require.NoError(t, err)
	return raw.(Executor)
}

func TestErrorCodesCrossTheBoundary(t *testing.T) {
	target := Target{Network: "local", CanisterID: "aaaaa-aa"}
	for _, code := range []Code{CodeNotFound, CodeNotStopped, CodeUnauthorized, CodeTransient, CodeInvalidArgument, CodeInternal,
		CodeCycles, CodeRateLimited, CodeStopTimeout, CodeUnknown} {
		t.Run(string(code), func(t *testing.T) {
			ex := inProcess(t, &fake{err: fmt.Errorf("wrapped: %w", Errorf(code, "canister %s said no", target))})
			_, err := ex.CanisterStatus(context.Background(), target)
			require.Error(t, err)
			assert.ErrorIs(t, err, code)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "canister aaaaa-aa@local said no", e.Message)
			assert.Equal(t, "fake", e.Executor)
			assert.False(t, e.transport, "an error with a detail is the plugin's, not the transport's")
			assert.Equal(t, fmt.Sprintf(`executor "fake": %s: canister aaaaa-aa@local said no`, code), err.Error())
			assert.Equal(t, code == CodeTransient || code == CodeRateLimited, CodeOf(err).Retryable())
		})
	}
}

func TestPlainErrorBecomesInternal(t *testing.T) {
	ex := inProcess(t, &fake{err: errors.New("disk on fire")})
	_, err := ex.CanisterStatus(context.Background(), Target{CanisterID: "x"})
	assert.ErrorIs(t, err, CodeInternal)
	assert.Contains(t, err.Error(), "disk on fire")
}

func TestPanicBecomesInternalAndServerSurvives(t *testing.T) {
	f := &fake{panicMsg: "boom"}
	ex := inProcess(t, f)
	_, err := ex.CanisterStatus(context.Background(), Target{CanisterID: "x"})
	require.ErrorIs(t, err, CodeInternal)
	assert.Contains(t, err.Error(), "plugin panicked in CanisterStatus: boom")
	f.panicMsg = ""
	f.status = CanisterStatus{Status: StatusStopped}
	st, err := ex.CanisterStatus(context.Background(), Target{CanisterID: "x"})
	require.NoError(t, err)
	assert.Equal(t, StatusStopped, st.Status)
	assert.Equal(t, []string{}, st.Controllers, "nil slices arrive as empty")
}

func TestMissingTargetIsInvalidArgument(t *testing.T) {
	ex := inProcess(t, &fake{})
	_, err := ex.CanisterStatus(context.Background(), Target{})
	assert.ErrorIs(t, err, CodeInvalidArgument)
	_, err = ex.DownloadSnapshot(context.Background(), Target{CanisterID: "x"}, "ab", "", nil)
	assert.ErrorIs(t, err, CodeInvalidArgument)
	assert.Contains(t, err.Error(), "needs snapshot_id and dir")
}

func TestCancelledCallWrapsContextCanceled(t *testing.T) {
	ex := inProcess(t, &fake{})
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	err := ex.StopCanister(ctx, Target{CanisterID: "x"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), `executor "fake"`)
}

func TestDownloadStreamsProgressThenResult(t *testing.T) {
	f := &fake{events: []Progress{{BytesDone: 4, BytesTotal: 10, File: "a"}, {BytesDone: 10, BytesTotal: 10}}}
	ex := inProcess(t, f)
	var got []Progress
	res, err := ex.DownloadSnapshot(context.Background(), Target{CanisterID: "x"}, "ab", "/d", func(p Progress) { got = append(got, p) })
	require.NoError(t, err)
	assert.Equal(t, f.events, got)
	assert.Equal(t, TransferResult{SnapshotID: "ab", Bytes: 10, ResumedBytes: 4}, res)

	f.err = Errorf(CodeTransient, "replica busy")
	_, err = ex.DownloadSnapshot(context.Background(), Target{CanisterID: "x"}, "ab", "/d", nil)
	assert.ErrorIs(t, err, CodeTransient)
}

func TestCodeOf(t *testing.T) {
	assert.Equal(t, Code(""), CodeOf(nil))
	assert.Equal(t, CodeInternal, CodeOf(errors.New("x")))
	assert.Equal(t, CodeTransient, CodeOf(&ExitError{Executor: "e", Method: "Info", Status: "exit status 2"}))
	assert.Equal(t, CodeNotFound, CodeOf(fmt.Errorf("a: %w", CodeNotFound)))
	assert.True(t, errors.Is(&ExitError{}, CodeTransient))
	assert.False(t, errors.Is(Errorf(CodeNotFound, "x"), CodeTransient))
}
