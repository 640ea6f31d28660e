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
//
// Concurrency (Config.Concurrency > 1) runs independent operations of a
// phase at once. The ordering guarantees that remain:
//
//   - no canister is snapshotted before every planned stop completed, and
//     no canister is started before every snapshot completed (the fleet's
//     snapshot stays consistent);
//   - stops go top-down one depth level at a time (a canister stops only
//     after every shallower target stopped); starts go bottom-up one level
//     at a time;
//   - a verify-artifact runs after its own download; downloads and
//     verifications may overlap the starts and each other, at most
//     Concurrency at a time (stop/snapshot/start calls have a cap of their
//     own, so a start never waits for a download);
//   - finalize-manifest runs alone, after everything else;
//   - journal updates are made by one goroutine, one at a time, each
//     written atomically; the operations admitted together are marked
//     pending in one write, so a crash may leave several pending, and a
//     resume re-executes each of them (0.35.1 expects at most one);
//   - after a failure nothing new starts; operations in flight finish and
//     are recorded, then the canisters left stopped are restarted.
//
// Config.RecordDowntime records each canister's downtime window (stop
// requested to start returned) and the fleet's (first stop to last start)
// in backup-downtime.json, the Response and the manifest's "provenance";
// without it every file is byte-identical to 0.35.1's. Executors may report
// file digests computed while writing (ReportFileChecksum) so that
// verify-artifact need not read the artifact again.
//
// Config.Sink (an ArtifactSink, such as core/archive's store sink) keeps
// artifacts outside the backup directory: verify-artifact puts each one
// to the sink from its temp directory once its checksum is persisted and
// removes the directory, so the directory holds at most the artifacts in
// flight (downloads and verifications, Concurrency of them); finalize
// requires the sink to hold each artifact with its checksum. The journals
// and manifest are the same as without a sink.
package runner
