// Package runner executes a persisted backup plan through an Executor.
//
// A run works on one backup directory holding backup-plan.json and (after
// the first run) backup-execution-journal.json. Under the directory's lock
// it accepts preflight receipts, then runs the plan's operations one at a
// time in sequence order — stop, create-snapshot, start, download-snapshot,
// verify-artifact, finalize-manifest — persisting the execution journal
// atomically after every transition and the download journal after every
// artifact step. Calling Run again on the same directory resumes from the
// journals: a pending operation (left by a crash) is re-executed, a failed
// one is retried when Config.RetryFailed is set.
//
// Beyond canic-backup 0.35.1 (docs/compat.md, "Backup runner"): a failed
// run restarts the canisters it stopped and records that in the journal,
// and a retry re-stops them before taking snapshots; temp paths are derived
// from the backup directory rather than the process working directory; a
// finalize interrupted after its rename is recognised on resume; and the
// manifest's backup units follow the selected topology so fleets whose root
// has several children finalize.
package runner
