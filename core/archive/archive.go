package archive

import (
	"errors"
	"time"

	"github.com/canic-backup/canic-backup/core/verify"
)

// LocksPrefix is the key prefix of lock objects; List never reports it as
// a backup.
const LocksPrefix = "locks/"

// PublishOptions tune Publish.
type PublishOptions struct {
	// Concurrency is how many objects upload at once (0: 4).
	Concurrency int
	// RemoveLocal deletes each local artifact file once its object is
	// published with the same SHA-256 (documents are kept).
	RemoveLocal bool
	// Progress, when set, is called once per object published or skipped,
	// never concurrently (uploads run in parallel; calls are serialized).
	Progress func(PublishEvent)
}

// PublishEvent reports one object of a Publish.
type PublishEvent struct {
	// Key is the object's key in the store.
	Key string
	// Bytes is its size.
	Bytes int64
	// Skipped is true when an identical object was already there.
	Skipped bool
}

// PublishReport sums up a Publish.
type PublishReport struct {
	// Store names the store (store.String()).
	Store string `json:"store"`
	// Name is the backup's name in the store.
	Name string `json:"name"`
	// Objects is how many objects the backup has in the store.
	Objects int `json:"objects"`
	// Uploaded and Skipped count the objects this call sent and found
	// already published.
	Uploaded int `json:"uploaded"`
	Skipped  int `json:"skipped"`
	// Bytes is the backup's total size; UploadedBytes what this call sent.
	Bytes         int64 `json:"bytes"`
	UploadedBytes int64 `json:"uploaded_bytes"`
	// Duration is the call's wall time.
	Duration time.Duration `json:"duration_ns"`
}

// ErrIncomplete is matched by errors about a backup that has no manifest
// (locally for Publish, in the store for Fetch with artifacts and Verify).
var ErrIncomplete = errors.New("backup is not complete")

// FetchOptions say what Fetch downloads.
type FetchOptions struct {
	// Artifacts are the artifact paths (as recorded in the manifest) to
	// download besides the documents; AllArtifacts downloads every one.
	Artifacts    []string
	AllArtifacts bool
	// Concurrency is how many objects download at once (0: 4).
	Concurrency int
	// Index, when it is the index of this backup in this store, is used
	// instead of listing the backup again: a restore fetching one
	// artifact per upload lists a published backup once, not once per
	// member.
	Index *Index
}

// FetchReport sums up a Fetch.
type FetchReport struct {
	// Objects and Bytes are what was written (or found intact) in dir.
	Objects int   `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Downloaded counts the objects this call transferred.
	Downloaded int `json:"downloaded"`
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// SamplePercent in (0, 100) verifies that share of the artifacts,
	// chosen at random (rounded up, at least one); 0 or 100 verifies all.
	// Every document is always read and checked.
	SamplePercent float64
	// Seed makes the sample reproducible (0: a random seed, reported).
	Seed int64
	// Concurrency is how many artifacts are hashed at once (0: 4).
	Concurrency int
}

// VerifyReport is what `backup verify --store` prints.
type VerifyReport struct {
	verify.Report
	// Store names the store; Name is the backup's name in it.
	Store string `json:"store"`
	Name  string `json:"name"`
	// Sampled is how many artifacts were hashed, of Total.
	Sampled int `json:"sampled_artifacts"`
	Total   int `json:"total_artifacts"`
	// SamplePercent and Seed are the sampling used.
	SamplePercent float64 `json:"sample_percent"`
	Seed          int64   `json:"seed"`
	// Bytes is how much artifact data was streamed and hashed.
	Bytes int64 `json:"bytes"`
}

// Backup is one backup found in a store.
type Backup struct {
	// Name is the backup's name (its key prefix without the slash).
	Name string `json:"name"`
	// Objects and Bytes count its objects.
	Objects int   `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// HasManifest is true for a complete backup; HasPlan when its plan is
	// there.
	HasManifest bool `json:"has_manifest"`
	HasPlan     bool `json:"has_plan"`
	// Modified is its newest object's time.
	Modified time.Time `json:"modified"`
}
