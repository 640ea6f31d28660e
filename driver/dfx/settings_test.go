package dfx

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettingsDecodeFromTOMLWithDefaults(t *testing.T) {
	var s Settings
	_, err := toml.Decode(`
flavor = "icp"
binary = "/opt/icp"
network = "http://127.0.0.1:4943"
identity_pem = "/etc/canic/ops.pem"
command_timeout = "90s"
concurrency = 8
[env]
ICP_PROJECT_ROOT = "/srv"
`, &s)
	require.NoError(t, err)
	s = s.WithDefaults()
	assert.Equal(t, FlavorICP, s.Flavor)
	assert.Equal(t, "fetch", s.RootKey, "a URL network fetches the root key by default")
	assert.Equal(t, "canic-backup", s.Identity)
	assert.Equal(t, 90*time.Second, s.CommandTimeout)
	assert.Equal(t, DefaultTransferTimeout, s.TransferTimeout)
	assert.Equal(t, 8, s.Concurrency)
	assert.Equal(t, "/srv", s.Env["ICP_PROJECT_ROOT"])

	d := Settings{Flavor: FlavorDFX}.WithDefaults()
	assert.Equal(t, "dfx", d.Binary)
	assert.Equal(t, "local", d.Network)
	assert.Empty(t, d.RootKey)
	assert.NoError(t, d.Validate())
}

func TestSettingsValidateNamesFieldAndValue(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(pem, []byte("x"), 0o600))
	base := Settings{Flavor: FlavorICP, Network: "http://127.0.0.1:1"}
	cases := []struct {
		mutate func(*Settings)
		want   string
	}{
		{func(s *Settings) { s.Flavor = "icx" }, `flavor = "icx": must be "icp" or "dfx"`},
		{func(s *Settings) { s.Network = "local" }, `project_dir = "": icp needs a project for the named network local`},
		{func(s *Settings) { s.Network = "-n" }, `network = "-n"`},
		{func(s *Settings) { s.RootKey = "zz" }, `root_key = "zz": must be "fetch", "mainnet" or hex`},
		{func(s *Settings) { s.IdentityPEM = filepath.Join(dir, "missing.pem") }, `identity_pem = "` + filepath.Join(dir, "missing.pem") + `": cannot be read`},
		{func(s *Settings) { s.Flavor, s.IdentityPEM = FlavorDFX, pem }, `identity_pem = "` + pem + `": only the icp flavor`},
		{func(s *Settings) { s.Identity = "a b" }, `identity = "a b"`},
		{func(s *Settings) { s.ProjectDir = pem }, `project_dir = "` + pem + `": is not a directory`},
		{func(s *Settings) { s.Concurrency = 100 }, `concurrency = "100": must be between 1 and 64`},
		{func(s *Settings) { s.CommandTimeout = -time.Second }, `command_timeout = "-1s"`},
		{func(s *Settings) { s.Env = map[string]string{"A=B": "x"} }, `env = "A=B"`},
		{func(s *Settings) { s.IdentityPEM, s.Env = pem, map[string]string{"ICP_HOME": "/x"} }, `env = "ICP_HOME": conflicts with identity_pem`},
		{func(s *Settings) { s.Environment = "prod" }, `environment = "prod": conflicts with network`},
	}
	for _, c := range cases {
		s := base
		c.mutate(&s)
		err := s.WithDefaults().Validate()
		require.ErrorIs(t, err, ErrInvalidSettings, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	ok := base
	ok.IdentityPEM = pem
	assert.NoError(t, ok.WithDefaults().Validate())
}
