// Package restore is the restore side of canic-backup: it maps a backup's
// members onto target canisters and orders them parent before child (plan),
// renders the operations a restore performs and validates the artifacts they
// read (apply dry-run), keeps the durable apply journal with its state
// machine, and drives that journal through a RestoreExecutor (the guarded
// runner). Documents follow canic-backup 0.35.1 byte for byte where 0.35.1 is
// sound; the differences are listed in docs/compat.md ("Restore ...").
package restore
