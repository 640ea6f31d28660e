package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// hintContext is a cli.Context with --config and --env set.
func hintContext(t *testing.T, cfg, env string) *cli.Context {
	t.Helper()
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.String("config", "", "")
	fs.String("env", "", "")
	require.NoError(t, fs.Parse([]string{"--config", cfg, "--env", env}))
	return cli.NewContext(cli.NewApp(), fs, nil)
}

// TestHintAfterTopologyDriftSaysNoResumeCanContinue: a backup refused at
// preflight because the fleet changed would be refused by every resume
// the same way; the hint says so and why, and names `backup create`.
func TestHintAfterTopologyDriftSaysNoResumeCanContinue(t *testing.T) {
	dir := plannedDemo(t)
	exec := memexec.New()
	exec.SetTopologyHashAtPreflight(strings.Repeat("f", 64))
	_, runErr := runner.Run(context.Background(), runner.Config{Dir: dir}, exec)
	require.Error(t, runErr)
	err := resumeHint(runErr, "--dir "+dir, dir, hintContext(t, "c.toml", "prod"))
	assert.NotContains(t, err.Error(), "backup resume")
	assert.Contains(t, err.Error(), "no resume can continue this backup: the fleet's topology changed since it was planned")
	assert.Contains(t, err.Error(), "`canic-backup backup create --config c.toml --env prod`")
}

// TestHintAfterRepeatedFailureSaysToRemoveTheCause: an operation that
// failed twice the same way gets no bare "run backup resume" (it would
// fail again): the hint says so and to remove the cause first.
func TestHintAfterRepeatedFailureSaysToRemoveTheCause(t *testing.T) {
	dir := plannedDemo(t)
	exec := memexec.New()
	boom := errors.New("snapshot limit reached")
	exec.FailNext("snapshot:"+demoApp, boom)
	_, runErr := runner.Run(context.Background(), runner.Config{Dir: dir}, exec)
	require.Error(t, runErr)
	c := hintContext(t, "c.toml", "prod")
	err := resumeHint(runErr, "--dir "+dir, dir, c)
	assert.Contains(t, err.Error(), "run `canic-backup backup resume --dir "+dir+" --config c.toml --env prod --retry-failed` to continue",
		"a first failure is retried")

	exec.FailNext("snapshot:"+demoApp, boom)
	_, runErr = runner.Run(context.Background(), runner.Config{Dir: dir, RetryFailed: true}, exec)
	require.Error(t, runErr)
	err = resumeHint(runErr, "--dir "+dir, dir, c)
	assert.NotContains(t, err.Error(), "to continue")
	assert.Contains(t, err.Error(), "failed the same way in its last 2 attempts; retrying as it is will fail again: remove the cause named above first")
	assert.Contains(t, err.Error(), "`canic-backup backup resume --dir "+dir+" --config c.toml --env prod --retry-failed`")
}

// TestHintAfterLostSunkArtifactNamesCreate: an artifact neither staged nor
// in the store cannot be finalized by any resume (the error says so); the
// hint no longer alternates between resume and resume --retry-failed.
func TestHintAfterLostSunkArtifactNamesCreate(t *testing.T) {
	c := hintContext(t, "c.toml", "prod")
	for _, runErr := range []error{
		fmt.Errorf("backup operation 19: %w: artifact x", runner.ErrNotInSink),
		&runner.FailedOperationError{Sequence: 19, OperationID: "finalize", Reasons: []string{"backup operation 19: " + runner.ErrNotInSink.Error() + ": artifact x"}},
	} {
		err := resumeHint(runErr, "--dir d", "d", c)
		assert.NotContains(t, err.Error(), "backup resume")
		assert.Contains(t, err.Error(), "no resume can complete this backup")
		assert.Contains(t, err.Error(), "start a new backup with `canic-backup backup create --config c.toml --env prod`")
	}
}
