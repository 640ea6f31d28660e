// Package journal holds the two journals a backup run keeps on disk: the
// execution journal (backup-execution-journal.json), which records the state
// of every plan operation and the receipts of their outcomes, and the
// download journal (download-journal.json), which records each snapshot
// artifact's progress from Created to Durable.
//
// The types encode with core/wire exactly as canic-backup 0.35.1 wrote them.
// Every mutating method validates the journal afterwards and leaves it
// unchanged when it returns an error. Timestamps are passed in as markers
// ("unix:<seconds>") by the caller or read from an injected Clock; the
// package keeps no global state.
package journal
