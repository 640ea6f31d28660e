package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/minio/minio-go/v7"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/sim"
)

// Store contenders: the agent executor backing up into a "dir" store and
// into an "s3" store (a bucket of a SeaweedFS server the benchmark starts
// on loopback). "store" names both.
const (
	contenderStore    = "store"
	contenderStoreDir = "store-dir"
	contenderStoreS3  = "store-s3"
	benchBucket       = "canic-bench"
)

// storeRatio compares the S3 store's backup with the dir store's.
type storeRatio struct {
	// Wall is s3 wall time / dir wall time.
	Wall float64 `json:"wall"`
	// Throughput is s3 MiB/s / dir MiB/s.
	Throughput float64 `json:"throughput"`
}

// isStoreContender reports the store contenders.
func isStoreContender(name string) bool {
	return name == contenderStoreDir || name == contenderStoreS3
}

// expandContenders replaces "store" with its two contenders.
func expandContenders(cs []string) []string {
	var out []string
	for _, c := range cs {
		if c == contenderStore {
			out = append(out, contenderStoreDir, contenderStoreS3)
			continue
		}
		out = append(out, c)
	}
	return out
}

// startWeed starts the SeaweedFS server of the s3 store contender (the
// binary cached by `make weed`, else built once) with the bucket made.
func startWeed(ctx context.Context, logf func(string, ...any)) (*seaweed.Server, error) {
	root, err := seaweed.RepoRoot()
	if err != nil {
		return nil, err
	}
	bin, err := seaweed.Binary(ctx, root, logf)
	if err != nil {
		return nil, fmt.Errorf("SeaweedFS binary: %w", err)
	}
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: logf})
	if err != nil {
		return nil, err
	}
	if err := srv.CreateBucket(ctx, benchBucket); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("create bucket %s: %w", benchBucket, err)
	}
	return srv, nil
}

// storeTables are the [stores] tables of the store contenders' config.
func storeTables(dirPath string, srv *seaweed.Server, partSizeMiB int) string {
	q := strconv.Quote
	s := "\n[stores.local]\nkind = \"dir\"\npath = " + q(dirPath) + "\n"
	if srv != nil {
		s += fmt.Sprintf("\n[stores.offsite]\nkind = \"s3\"\nendpoint = %s\nbucket = %s\nregion = \"us-east-1\"\npath_style = true\npart_size_mib = %d\n",
			q(srv.Endpoint), q(benchBucket), partSizeMiB)
	}
	return s
}

// publishedLine matches `published NAME to STORE (N objects, X MiB in Y, Z MiB/s)`.
var publishedLine = regexp.MustCompile(`published (\S+) to \S+ \((\d+) objects, ([\d.]+) MiB in [^,]+, ([\d.]+) MiB/s\)`)

// runStoreContender backs the fleet up through the agent executor into the
// dir store ("local") or the S3 store ("offsite" on srv) and measures the
// wall time, the data written and its rate, then verifies the backup from
// the store.
func runStoreContender(ctx context.Context, o options, name string, srv *seaweed.Server) (result, error) {
	res := result{Name: name}
	if name == contenderStoreS3 && srv == nil {
		return res, fmt.Errorf("no SeaweedFS server")
	}
	s, err := sim.Start(ctx, sim.Options{
		Fleet:  sim.Fleet{Name: "bench", Children: o.Children, Depth: o.Depth, Size: o.Size, Seed: 1},
		Faults: sim.Faults{UpdateLatency: o.Latency, QueryLatency: o.QueryLatency},
	})
	if err != nil {
		return res, fmt.Errorf("start the simulator: %w", err)
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	info := s.Info()
	work := filepath.Join(o.Work, name)
	dirStore := filepath.Join(work, "store")
	if err := os.MkdirAll(dirStore, 0o755); err != nil {
		return res, err
	}
	cfg := filepath.Join(work, "canic.toml")
	if err := os.WriteFile(cfg, []byte(benchConfig(info, o)+storeTables(dirStore, srv, o.PartSizeMiB)), 0o600); err != nil {
		return res, err
	}
	storeName := "local"
	if name == contenderStoreS3 {
		storeName = "offsite"
	}
	env := append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(work, "cache"), "CANIC_BACKUP_STORE=")
	if srv != nil {
		env = append(env, "AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey, "AWS_SESSION_TOKEN=", "AWS_PROFILE=")
	}
	cmd := exec.CommandContext(ctx, o.Bin, "backup", "create", "--config", cfg, "--env", contenderAgent, "--store", storeName,
		"--concurrency", strconv.Itoa(o.Concurrency))
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	if res.WallSeconds, res.PeakRSSMiB, err = timedRun(ctx, cmd, &stdout, &stderr); err != nil {
		return res, err
	}

	var backup string
	var downtime []byte
	if name == contenderStoreS3 {
		m := publishedLine.FindStringSubmatch(stdout.String() + stderr.String())
		if m == nil {
			return res, fmt.Errorf("no published line in:\n%s%s", stdout.String(), stderr.String())
		}
		backup = m[1]
		res.PublishMiBps, _ = strconv.ParseFloat(m[4], 64)
		if res.DataMiB, err = bucketMiB(ctx, srv, backup); err != nil {
			return res, err
		}
		if downtime, err = bucketObject(ctx, srv, backup+"/"+runner.DowntimeFile); err != nil {
			return res, err
		}
	} else {
		ents, err := os.ReadDir(dirStore)
		if err != nil {
			return res, err
		}
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(dirStore, e.Name(), "fleet-backup-manifest.json")); err == nil && e.IsDir() {
				backup = e.Name()
			}
		}
		if backup == "" {
			return res, fmt.Errorf("no backup in the dir store %s", dirStore)
		}
		if res.DataMiB, err = dirMiB(filepath.Join(dirStore, backup)); err != nil {
			return res, err
		}
		if downtime, err = os.ReadFile(filepath.Join(dirStore, backup, runner.DowntimeFile)); err != nil {
			return res, err
		}
	}
	res.MiBps = div(res.DataMiB, res.WallSeconds)
	var d runner.Downtime
	if err := wire.Unmarshal(downtime, &d); err != nil {
		return res, fmt.Errorf("%s of %s: %w", runner.DowntimeFile, backup, err)
	}
	res.DowntimeSeconds = d.Duration().Seconds()

	v := exec.CommandContext(ctx, o.Bin, "backup", "verify", "--config", cfg, "--store", storeName, "--backup", backup)
	v.Env = env
	if vout, verr := v.CombinedOutput(); verr != nil {
		return res, fmt.Errorf("backup verify --store %s --backup %s: %w: %s", storeName, backup, verr, vout)
	}
	res.Verified = true
	return res, nil
}

// bucketMiB sums the sizes of the backup's objects.
func bucketMiB(ctx context.Context, srv *seaweed.Server, backup string) (float64, error) {
	c, err := srv.Client()
	if err != nil {
		return 0, err
	}
	var n int64
	for obj := range c.ListObjects(ctx, benchBucket, minio.ListObjectsOptions{Prefix: backup + "/", Recursive: true}) {
		if obj.Err != nil {
			return 0, obj.Err
		}
		n += obj.Size
	}
	return float64(n) / (1 << 20), nil
}

// bucketObject reads one object.
func bucketObject(ctx context.Context, srv *seaweed.Server, key string) ([]byte, error) {
	c, err := srv.Client()
	if err != nil {
		return nil, err
	}
	obj, err := c.GetObject(ctx, benchBucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj)
}

// dirMiB sums the sizes of the regular files below dir.
func dirMiB(dir string) (float64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return float64(n) / (1 << 20), err
}

// storeComparison computes the s3/dir ratio when both ran.
func storeComparison(results []result) *storeRatio {
	var dir, s3 *result
	for i := range results {
		switch results[i].Name {
		case contenderStoreDir:
			dir = &results[i]
		case contenderStoreS3:
			s3 = &results[i]
		}
	}
	if dir == nil || s3 == nil {
		return nil
	}
	return &storeRatio{Wall: div(s3.WallSeconds, dir.WallSeconds), Throughput: div(s3.MiBps, dir.MiBps)}
}
