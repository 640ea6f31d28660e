package restore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cleaningFake is the fake executor with a per-canister snapshot list:
// every upload adds a snapshot; the first upload of lose adds it and then
// dies without answering (as a killed plugin or a crash after the upload
// would).
type cleaningFake struct {
	*fakeExecutor
	mu    sync.Mutex
	snaps map[string][]string
	n     int
	lose  string
	lost  bool
	// resume: the retry continues into the lost attempt's snapshot (as
	// the drivers do when their progress record survived).
	resume   bool
	lostSnap string
}

func (c *cleaningFake) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	id, err := c.fakeExecutor.UploadSnapshot(ctx, target, dir)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resume && c.lostSnap != "" && target == c.lose {
		return c.lostSnap, nil
	}
	c.n++
	sid := fmt.Sprintf("%s-%d", id, c.n)
	c.snaps[target] = append(c.snaps[target], sid)
	c.fakeExecutor.mu.Lock()
	c.fakeExecutor.uploaded[target] = sid
	c.fakeExecutor.mu.Unlock()
	if target == c.lose && !c.lost {
		c.lost, c.lostSnap = true, sid
		return "", errPluginDied
	}
	return sid, nil
}

func (c *cleaningFake) ListSnapshots(_ context.Context, target string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.snaps[target]...), nil
}

func (c *cleaningFake) DeleteSnapshot(_ context.Context, target, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.snaps[target] {
		if s == id {
			c.snaps[target] = append(c.snaps[target][:i], c.snaps[target][i+1:]...)
			return nil
		}
	}
	return &CommandError{Status: "not-found", Err: fmt.Errorf("no snapshot %s", id)}
}

// TestInterruptedUploadLeavesNoOrphanSnapshot: an upload whose snapshot was
// created but never recorded (the executor died) is retried after
// --unclaim-pending; the retry deletes the orphan first, so the canister
// holds one uploaded snapshot, a snapshot it had before is kept, and no
// intent file is left beside the journal.
func TestInterruptedUploadLeavesNoOrphanSnapshot(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	target := jr.Operations[1].TargetCanister
	f := &cleaningFake{fakeExecutor: newFake(), snaps: map[string][]string{target: {"user-snapshot"}}, lose: target}

	_, err = runAt(t, j, ModeExecute, 0, f, 0)
	require.ErrorIs(t, err, CodeExecutorOutcomeUnknown)
	require.Len(t, f.snaps[target], 2, "the lost upload did create a snapshot")
	_, err = runAt(t, j, ModeUnclaimPending, 0, nil, 1)
	require.NoError(t, err)
	resp, err := runAt(t, j, ModeExecute, 0, f, 2)
	require.NoError(t, err)
	require.True(t, resp.Complete)

	assert.Len(t, f.snaps[target], 2, "the user's snapshot and one upload: %v", f.snaps[target])
	assert.Equal(t, "user-snapshot", f.snaps[target][0])
	for _, op := range jr.Operations {
		_, err := os.Stat(UploadIntentPath(j, op.Sequence))
		assert.ErrorIs(t, err, os.ErrNotExist, "intent of operation %d", op.Sequence)
	}
}

// TestResumedUploadKeepsItsSnapshot: when the executor resumes the retried
// upload into the snapshot the interrupted attempt created, that snapshot
// is kept and nothing is deleted.
func TestResumedUploadKeepsItsSnapshot(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	target := jr.Operations[1].TargetCanister
	f := &cleaningFake{fakeExecutor: newFake(), snaps: map[string][]string{}, lose: target, resume: true}
	_, err = runAt(t, j, ModeExecute, 0, f, 0)
	require.ErrorIs(t, err, CodeExecutorOutcomeUnknown)
	f.fakeExecutor.mu.Lock()
	f.fakeExecutor.uploaded[target] = f.lostSnap
	f.fakeExecutor.mu.Unlock()
	_, err = runAt(t, j, ModeUnclaimPending, 0, nil, 1)
	require.NoError(t, err)
	resp, err := runAt(t, j, ModeExecute, 0, f, 2)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	assert.Equal(t, []string{f.lostSnap}, f.snaps[target])
}
