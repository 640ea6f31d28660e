package killpoint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary re-executes itself as the killed process.
func TestMain(m *testing.M) {
	if os.Getenv("KILLPOINT_HELPER") == "1" {
		for i := 0; i < 5; i++ {
			Hit("a")
			Hit("b")
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, env ...string) (*os.ProcessState, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "KILLPOINT_HELPER=1"), env...)
	err := cmd.Run()
	return cmd.ProcessState, err
}

func TestKillAtNthHitAndTrace(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	st, err := helper(t, EnvKill+"=b:3", EnvTrace+"="+trace)
	require.Error(t, err)
	ws := st.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled())
	assert.Equal(t, syscall.SIGKILL, ws.Signal())
	b, err := os.ReadFile(trace)
	require.NoError(t, err)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 3)
		got = append(got, f[1]+":"+f[2])
	}
	assert.Equal(t, []string{"main/a:1", "main/b:1", "main/a:2", "main/b:2", "main/a:3", "main/b:3"}, got)
}

func TestNoEnvIsNoOp(t *testing.T) {
	st, err := helper(t, EnvKill+"=", EnvTrace+"=")
	require.NoError(t, err)
	assert.Equal(t, 0, st.ExitCode())
	_, err = helper(t, EnvKill+"=a:99")
	require.NoError(t, err, "a count never reached kills nothing")
	_, err = helper(t, EnvKill+"=plugin/a:2")
	require.NoError(t, err, "a point qualified by another role kills nothing")
	_, err = helper(t, EnvKill+"=main/a:2")
	require.Error(t, err, "a point qualified by this process's role kills it")
	_, err = helper(t, EnvKill+"=garbage")
	require.NoError(t, err, "a malformed spec is ignored")
}
