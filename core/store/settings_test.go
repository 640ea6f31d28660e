package store_test

import (
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
)

func TestSettingsFromTOML(t *testing.T) {
	var cfg struct {
		Stores map[string]store.Settings `toml:"stores"`
	}
	_, err := toml.Decode(`
[stores.local]
kind = "dir"
path = "/var/backups/canic"

[stores.offsite]
kind = "s3"
endpoint = "https://s3.eu-central-1.amazonaws.com"
bucket = "canic-backups"
prefix = "prod/"
region = "eu-central-1"
path_style = true
profile = "backup"
part_size_mib = 64
`, &cfg)
	require.NoError(t, err)
	require.NoError(t, cfg.Stores["local"].Validate("local"))
	off := cfg.Stores["offsite"]
	require.NoError(t, off.Validate("offsite"))
	assert.True(t, off.PathStyle)
	assert.Equal(t, int64(64<<20), off.PartSize())
	assert.Equal(t, "s3://canic-backups/prod/", off.Describe())
	assert.Equal(t, int64(store.DefaultPartSizeMiB<<20), store.Settings{}.PartSize())
}

func TestSettingsValidateNamesFieldAndValue(t *testing.T) {
	s3 := store.Settings{Kind: store.KindS3, Endpoint: "https://s3.example.test", Bucket: "bucket-1"}
	cases := []struct {
		name string
		s    store.Settings
		want string
	}{
		{"no kind", store.Settings{}, `stores.x.kind = "": required`},
		{"bad kind", store.Settings{Kind: "ftp"}, `stores.x.kind = "ftp": unknown kind`},
		{"dir without path", store.Settings{Kind: store.KindDir}, `stores.x.path = "": required for kind "dir"`},
		{"dir with bucket", store.Settings{Kind: store.KindDir, Path: "/p", Bucket: "b"}, `stores.x.bucket = "b": only for kind "s3"`},
		{"no endpoint", func() store.Settings { s := s3; s.Endpoint = ""; return s }(), `stores.x.endpoint = "": required`},
		{"ftp endpoint", func() store.Settings { s := s3; s.Endpoint = "ftp://h"; return s }(), `stores.x.endpoint = "ftp://h": scheme must be`},
		{"endpoint path", func() store.Settings { s := s3; s.Endpoint = "https://h/bucket"; return s }(), `stores.x.endpoint = "https://h/bucket": must not have a path`},
		{"endpoint creds", func() store.Settings { s := s3; s.Endpoint = "https://AKIA:secret@h"; return s }(), `stores.x.endpoint = "(redacted)": credentials may not be written`},
		{"bucket case", func() store.Settings { s := s3; s.Bucket = "My_Bucket"; return s }(), `stores.x.bucket = "My_Bucket": only lowercase`},
		{"no bucket", func() store.Settings { s := s3; s.Bucket = ""; return s }(), `stores.x.bucket = "": required`},
		{"prefix slash", func() store.Settings { s := s3; s.Prefix = "/a/"; return s }(), `stores.x.prefix = "/a/": must not start`},
		{"prefix no slash", func() store.Settings { s := s3; s.Prefix = "a"; return s }(), `stores.x.prefix = "a": must not start with "/" and must end`},
		{"prefix dotdot", func() store.Settings { s := s3; s.Prefix = "a/../"; return s }(), `stores.x.prefix = "a/../": path segment ".."`},
		{"part size", func() store.Settings { s := s3; s.PartSizeMiB = 4; return s }(), `stores.x.part_size_mib = "4": must be between 5 and 5120`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.Validate("x")
			require.ErrorIs(t, err, store.ErrInvalidSettings)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "a/b.json", "fleet/2026-11-25/aaaaa-aa.bin", ".hidden/x", "a/.canic-tmp"} {
		assert.NoError(t, store.ValidateKey(k), k)
	}
	for _, k := range []string{"", "/a", "a/", "a//b", "..", "a/./b", ".canic-lock", ".canic-x/y", "nul\x00", `a\b`} {
		assert.ErrorIs(t, store.ValidateKey(k), store.ErrInvalidKey, k)
	}
}
