package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/config"
)

// FuzzLoad: loading any text never panics; a config Load accepts loads
// again to the same result, and every environment in it names an executor
// the config defines (validation is not bypassed by odd TOML).
func FuzzLoad(f *testing.F) {
	f.Add([]byte(good))
	if b, err := os.ReadFile("../canic.toml.example"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("version = 1\n[environments.a]\nroot = \"aaaaa-aa\"\nexecutor = \"x\"\n[executors.x]\ndriver = \"plugin\"\npath = \"/bin/true\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Load("/etc/cb/canic.toml", data, drivers())
		if err != nil {
			return
		}
		again, err := config.Load("/etc/cb/canic.toml", data, drivers())
		require.NoError(t, err)
		require.Equal(t, c.EnvironmentNames(), again.EnvironmentNames())
		require.Equal(t, c.ExecutorNames(), again.ExecutorNames())
		for _, name := range c.EnvironmentNames() {
			_, err := c.ExecutorOf(c.Environments[name])
			require.NoError(t, err, "environment %s", name)
		}
	})
}
