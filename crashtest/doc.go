// Package crashtest is canic-backup's crash harness (issue 10): it runs
// `backup create` and `restore run --execute` as subprocesses against the
// in-process IC simulator, once with CANIC_BACKUP_KILLPOINT_TRACE to list
// every kill point the command passes (internal/killpoint: atomic writes
// before and after their rename, journal persists, agent download and
// upload chunks, icp subprocess starts and ends, in the main process and in
// the plugin process), then once per kill point with
// CANIC_BACKUP_KILLPOINT=role/name:N so the process SIGKILLs itself there.
//
// After each kill the harness follows the command the tool names (the
// `run ...` hint of a failed command, `restore run --dry-run`'s "next:",
// or `backup resume` after the main process died) until the work is done,
// then checks: the backup verifies (or every restored canister's state
// digest equals its backup-time one), no canister is left stopped, every
// journal parses, no plugin or icp process of the dead run is left, and no
// canister holds more snapshots than after an uninterrupted run.
//
// A third scenario, store-backup, kills `backup create --store` into a real
// SeaweedFS bucket (agent executor) at every point it passes, the
// store.part-uploaded and runner.artifact-sunk points among them, resumes it
// with `backup resume --store S --backup NAME`, and checks that exactly one
// complete backup verifies from the bucket, the staging directory is gone,
// the fleet lease is released and no staging object of the store is left.
//
// `make crash-smoke` (part of `make test`) runs a bounded sample;
// `make crash-matrix` runs every kill point with both built-in executors.
// Both print "N kill points, N resumed, 0 lost, 0 left stopped".
//
// The package has no non-test code beyond this comment.
package crashtest
