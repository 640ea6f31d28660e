package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/driver/agent"
)

// concurrencyOf parses args with --concurrency and returns runConcurrency
// for settings.
func concurrencyOf(t *testing.T, settings any, args ...string) (int, error) {
	t.Helper()
	var n int
	var runErr error
	app := &cli.App{Name: "x", Flags: []cli.Flag{concurrencyFlag()}, Action: func(c *cli.Context) error {
		n, runErr = runConcurrency(c, settings)
		return nil
	}}
	require.NoError(t, app.Run(append([]string{"x"}, args...)))
	return n, runErr
}

// TestRunConcurrencyPrecedence: --concurrency wins, then the executor's
// concurrency key, then the default; out-of-range flags are usage errors.
func TestRunConcurrencyPrecedence(t *testing.T) {
	n, err := concurrencyOf(t, nil)
	require.NoError(t, err)
	assert.Equal(t, defaultConcurrency, n)

	n, err = concurrencyOf(t, &agent.Settings{Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "the executor's key")

	n, err = concurrencyOf(t, &agent.Settings{Concurrency: 3}, "--concurrency", "1")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the flag wins")

	_, err = concurrencyOf(t, nil, "--concurrency", "0")
	assert.ErrorContains(t, err, "--concurrency must be between 1 and 64, got 0")
}

// TestAgentConcurrencyKeyIsValidated: the key is range-checked with the
// other agent settings.
func TestAgentConcurrencyKeyIsValidated(t *testing.T) {
	s := agent.DefaultSettings()
	s.Concurrency = 65
	err := s.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "concurrency")
	s.Concurrency = 0
	assert.NoError(t, s.Validate())
}
