package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/store"
)

// withStores is good plus two stores, prod using the remote one.
var withStores = strings.Replace(good, "executor = \"fast\"\n", "executor = \"fast\"\nstore = \"offsite\"\n", 1) + `
[stores.local]
kind = "dir"
path = "backups"

[stores.offsite]
kind = "s3"
endpoint = "https://s3.eu-central-1.amazonaws.com"
bucket = "canic-backups"
prefix = "prod/"
region = "eu-central-1"
path_style = true
profile = "backup"
`

func TestLoadStores(t *testing.T) {
	cfg, err := load(t, withStores)
	require.NoError(t, err)
	assert.Equal(t, []string{"local", "offsite"}, cfg.StoreNames())
	assert.Equal(t, store.Settings{Kind: store.KindDir, Path: "/etc/cb/backups"}, cfg.Stores["local"],
		"a relative dir path resolves against the config's directory")
	off := cfg.Stores["offsite"]
	assert.Equal(t, store.KindS3, off.Kind)
	assert.Equal(t, "prod/", off.Prefix)
	assert.True(t, off.PathStyle)
	assert.Equal(t, "backup", off.Profile)
	assert.Equal(t, 31, cfg.StoreLines["local"])
	assert.Equal(t, "offsite", cfg.Environments["prod"].Store)
	assert.Equal(t, "", cfg.Environments["dev"].Store)

	// No [stores] at all: an empty, non-nil map.
	plain, err := load(t, good)
	require.NoError(t, err)
	assert.NotNil(t, plain.Stores)
	assert.Empty(t, plain.Stores)
}

func TestLoadStoreErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, text, want string
		settings         bool // the error wraps a *store.SettingsError
	}{
		{"unknown store key", strings.Replace(withStores, `region = "eu`, `regin = "eu`, 1),
			`/etc/cb/canic.toml:40: stores.offsite.regin: unknown key (a store has kind, path, endpoint, bucket, prefix, region, path_style, profile, part_size_mib; credentials come from the environment or the AWS credentials file, never the config)`, false},
		{"credentials key", strings.Replace(withStores, `profile = "backup"`, `secret_access_key = "AKIAXYZ"`, 1),
			`/etc/cb/canic.toml:42: stores.offsite.secret_access_key: unknown key (a store has`, false},
		{"bad kind", strings.Replace(withStores, `kind = "dir"`, `kind = "tape"`, 1),
			`/etc/cb/canic.toml:32: stores.local.kind: "tape": unknown kind: expected "dir" or "s3"`, true},
		{"missing kind", strings.Replace(withStores, "kind = \"dir\"\n", "", 1),
			`/etc/cb/canic.toml:31: stores.local.kind: "": required: "dir" or "s3"`, true},
		{"dir without path", strings.Replace(withStores, "path = \"backups\"\n", "", 1),
			`/etc/cb/canic.toml:31: stores.local.path: "": required for kind "dir"`, true},
		{"bad prefix", strings.Replace(withStores, `prefix = "prod/"`, `prefix = "/prod"`, 1),
			`/etc/cb/canic.toml:39: stores.offsite.prefix: "/prod": must not start with "/" and must end with "/"`, true},
		{"credentials in endpoint", strings.Replace(withStores, `https://s3.eu`, `https://AKIA:hunter2@s3.eu`, 1),
			`/etc/cb/canic.toml:37: stores.offsite.endpoint: "(redacted)": credentials may not be written into the endpoint`, true},
		{"wrong type", strings.Replace(withStores, `path_style = true`, `path_style = "yes"`, 1),
			`/etc/cb/canic.toml:41: stores.offsite.path_style: incompatible types`, false},
		{"environment names a missing store", strings.Replace(withStores, `store = "offsite"`, `store = "ofsite"`, 1),
			`/etc/cb/canic.toml:8: environments.prod.store: "ofsite" is not a [stores.ofsite] table (have: local, offsite)`, false},
		{"environment store without stores", strings.Replace(good, "executor = \"fast\"\n", "executor = \"fast\"\nstore = \"x\"\n", 1),
			`/etc/cb/canic.toml:8: environments.prod.store: "x" is not a [stores.x] table (have: none)`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.NotContains(t, err.Error(), "hunter2")
			var se *store.SettingsError
			assert.Equal(t, tc.settings, errors.As(err, &se), "wraps *store.SettingsError")
			if tc.settings {
				assert.ErrorIs(t, err, store.ErrInvalidSettings)
			}
		})
	}
}

func TestRenderStores(t *testing.T) {
	cfg, err := load(t, withStores)
	require.NoError(t, err)
	out, err := cfg.Render(nil)
	require.NoError(t, err)
	s := string(out)
	for _, want := range []string{"[stores.local]", `path = "/etc/cb/backups"`, "[stores.offsite]", `kind = "s3"`,
		`bucket = "canic-backups"`, "part_size_mib = 16", "path_style = true", `store = "offsite"`} {
		assert.Contains(t, s, want)
	}
	again, err := load(t, s)
	require.NoError(t, err, "the rendered config loads again")
	off := cfg.Stores["offsite"]
	off.PartSizeMiB = store.DefaultPartSizeMiB // rendered with the default filled in
	assert.Equal(t, off, again.Stores["offsite"])
	assert.Equal(t, cfg.Stores["local"], again.Stores["local"])

	prod := cfg.Environments["prod"]
	out, err = cfg.Render(&prod)
	require.NoError(t, err)
	assert.Contains(t, string(out), "[stores.offsite]")
	assert.NotContains(t, string(out), "[stores.local]", "only the selected environment's store")
}
