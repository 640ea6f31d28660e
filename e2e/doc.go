// Package e2e holds canic-backup's end-to-end proofs with real parts only:
// the canic-backup binary built once by TestMain and run as a subprocess,
// its built-in executors re-executed as go-plugin processes (the agent
// driver and the dfx driver driving the real icp 1.5.0 CLI), and the
// in-process IC simulator reached over real HTTP.
//
// The scenarios prove:
//
//   - agent_cycle_test.go: a fleet (root + 3 children) backed up through the agent
//     executor verifies, and after every canister's state changed, restore
//     plan → apply --dry-run → run --execute brings every state digest back
//     to its backup-time value;
//   - icp_cycle_test.go: the same full cycle through the icp CLI, and an icp failure in
//     the middle of a backup is one clear error naming the command, recorded
//     in the journal, with a non-zero exit and no canister left stopped;
//   - remapped_restore_test.go: for both executors, a restore with one member remapped to a
//     freshly created canister survives a failure injected mid-run and
//     completes with --retry-failed, every digest (the fresh canister's
//     included) equal to the backup-time one;
//   - plugin_sigkill_test.go, restore_kill_test.go: a plugin process killed with SIGKILL during a download fails
//     the run naming the executor, and `backup resume --retry-failed`
//     completes a backup that verifies; killed during a restore upload, the
//     operation stays pending and --unclaim-pending then --execute finish;
//   - a replica outage mid-backup (both executors) exits 4 naming `backup
//     recover`, which with `backup resume --retry-failed` finishes once the
//     replica is back; the agent's retries and reconciliation survive 20%
//     transient rejects and 10% lost responses;
//   - store_*_test.go, against a real SeaweedFS server (`weed server -s3`) behind a
//     request-counting proxy: a fleet backed up into a bucket, verified from
//     it (whole and sampled) and restored from it with every digest back; a
//     backup SIGKILLed mid-multipart-upload resumed without re-sending a
//     finished part (the dead run's lease taken over at once); two hosts
//     starting a backup of one fleet together, exactly one running, and an
//     expired lease of a third host taken over with a logged line.
//
// The canic-backup binary is built with -race when the tests run under it.
// The package has no non-test code beyond this comment.
package e2e
