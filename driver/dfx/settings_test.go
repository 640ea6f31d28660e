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
	// Issue 16: a URL that is not the IC's own no longer fetches its root
	// key silently (trust on first use); it must be set explicitly.
	assert.Empty(t, s.RootKey, "no root key is assumed for a non-IC URL")
	verr := s.Validate()
	require.ErrorIs(t, verr, ErrInvalidSettings)
	assert.Contains(t, verr.Error(), `root_key = "": is not set`)
	assert.Contains(t, verr.Error(), `set root_key = "fetch"`)
	assert.Contains(t, verr.Error(), "http://127.0.0.1:4943")
	s.RootKey = "fetch"
	assert.Equal(t, "canic-backup", s.Identity)
	assert.Equal(t, 90*time.Second, s.CommandTimeout)
	assert.Equal(t, DefaultTransferTimeout, s.TransferTimeout)
	assert.Equal(t, 8, s.Concurrency)
	assert.Equal(t, "/srv", s.Env["ICP_PROJECT_ROOT"])

	m := Settings{Flavor: FlavorICP, Network: "https://icp-api.io"}.WithDefaults()
	assert.Equal(t, "mainnet", m.RootKey, "the IC's own URL takes the mainnet key")
	require.NoError(t, m.Validate())
	m = Settings{Flavor: FlavorICP, Network: "https://proxy.example", RootKey: "mainnet"}.WithDefaults()
	assert.ErrorContains(t, m.Validate(), `root_key = "mainnet": the IC mainnet root key is only for the IC's own URLs`)

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
	// A non-IC URL needs an explicit root key (issue 16).
	base := Settings{Flavor: FlavorICP, Network: "http://127.0.0.1:1", RootKey: "fetch"}
	cases := []struct {
		mutate func(*Settings)
		want   string
	}{
		{func(s *Settings) { s.Flavor = "icx" }, `flavor = "icx": must be "icp" or "dfx"`},
		{func(s *Settings) { s.Network, s.RootKey = "local", "" }, `project_dir = "": icp needs a project for the named network local`},
		{func(s *Settings) { s.Network = "-n" }, `network = "-n"`},
		{func(s *Settings) { s.RootKey = "zz" }, `root_key = "zz": must be "fetch", "mainnet" or hex`},
		{func(s *Settings) { s.IdentityPEM = filepath.Join(dir, "missing.pem") }, `identity_pem = "` + filepath.Join(dir, "missing.pem") + `": cannot be read`},
		{func(s *Settings) { s.Flavor, s.IdentityPEM, s.RootKey = FlavorDFX, pem, "" }, `identity_pem = "` + pem + `": only the icp flavor`},
		{func(s *Settings) { s.RootKey = "" }, `root_key = "": is not set, and network http://127.0.0.1:1 is a URL`},
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
