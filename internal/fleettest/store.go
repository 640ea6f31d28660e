package fleettest

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/seaweed"
)

// StartWeed starts `weed server -s3` on loopback with the cached binary
// (`make weed`; built once otherwise) and makes bucket.
func StartWeed(logf func(string, ...any), bucket string) (*seaweed.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	root, err := seaweed.RepoRoot()
	if err != nil {
		return nil, err
	}
	bin, err := seaweed.Binary(ctx, root, logf)
	if err != nil {
		return nil, err
	}
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: logf})
	if err != nil {
		return nil, err
	}
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return srv, nil
}

// S3StoreTOML is a [stores.NAME] table of kind s3 for a SeaweedFS bucket
// (path-style, region us-east-1) under prefix.
func S3StoreTOML(name, endpoint, bucket, prefix string, partMiB int) string {
	q := strconv.Quote
	return "\n[stores." + name + "]\nkind = \"s3\"\nendpoint = " + q(endpoint) + "\nbucket = " + q(bucket) +
		"\nprefix = " + q(prefix) + "\nregion = \"us-east-1\"\npath_style = true\npart_size_mib = " + strconv.Itoa(partMiB) + "\n"
}

// StoreEnv is the environment of every run against srv's store: its S3
// credentials (and no other source of them, dir holding no credentials
// file), XDG_CACHE_HOME cache (staging and fetch directories), and none
// of the CANIC_BACKUP_ store, host and lease variables.
func StoreEnv(srv *seaweed.Server, dir, cache string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials"),
		"XDG_CACHE_HOME=" + cache, "CANIC_BACKUP_STORE=", "CANIC_BACKUP_HOST=", "CANIC_BACKUP_LOCK_TTL=",
	}
}

// StagingDirs lists the staging directories of store storeName under the
// cache directory cache.
func StagingDirs(t *testing.T, cache, storeName string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(cache, "canic-backup", "staging", storeName, "*"))
	require.NoError(t, err)
	return m
}
