// Package seaweed is a test harness that runs a real SeaweedFS server with
// its S3 gateway (`weed server -s3`, Apache-2.0) on loopback, so the S3
// store is tested against a real S3 implementation rather than a mock.
//
// Binary finds the `weed` binary: $CANIC_WEED_BIN, else the cache (see CachePath:
// the user cache dir, shared by clones), else it builds it from the
// Go module github.com/seaweedfs/seaweedfs@VERSION: `go mod download` finds
// the module's directory, which is copied to a writable temporary directory
// (its go.mod has replace directives, so it must be built as the main
// module), and `go build ./weed` writes the cached binary. `make weed` does
// the same ahead of the tests.
//
// Start runs one server on free loopback ports with its data in a temporary
// directory, S3 identities from a generated config (access key and secret
// made up per server), and stops it when the test ends.
package seaweed
