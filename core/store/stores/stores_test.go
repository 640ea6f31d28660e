package stores_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
	"github.com/canic-backup/canic-backup/core/store/stores"
)

func TestOpenFromConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	var cfg struct {
		Stores stores.Config `toml:"stores"`
	}
	_, err := toml.Decode(`
[stores.local]
kind = "dir"
path = "`+dir+`"

[stores.offsite]
kind = "s3"
endpoint = "https://s3.example.test"
bucket = "b-1"
`, &cfg)
	require.NoError(t, err)
	require.NoError(t, cfg.Stores.Validate())
	s, err := cfg.Stores.OpenNamed(context.Background(), "local")
	require.NoError(t, err)
	assert.IsType(t, &dirstore.Store{}, s)
	assert.Equal(t, "dir:"+dir, s.String())

	_, err = cfg.Stores.OpenNamed(context.Background(), "nope")
	require.ErrorIs(t, err, store.ErrInvalidSettings)
	assert.Contains(t, err.Error(), `no store "nope" in [stores] (configured: [local offsite])`)

	cfg.Stores["zbad"] = store.Settings{Kind: "tape"}
	cfg.Stores["abad"] = store.Settings{Kind: store.KindDir}
	err = cfg.Stores.Validate()
	require.ErrorIs(t, err, store.ErrInvalidSettings)
	assert.Contains(t, err.Error(), "stores.abad.path", "first bad store in name order")
}
