// Package usecase is the restore application layer: `restore plan`,
// `restore apply` and `restore run` as Plan, Apply and Run with typed
// options. It owns where a backup is read from (a directory, or a backup in
// an artifact store fetched or streamed into a local directory), the
// streaming of artifacts during `restore run --store` with its
// <journal>.fetched bookkeeping, progress events, and the order in which a
// run opens its source and executor. The CLI binds flags into the options,
// passes in how to open stores and executors (this package knows nothing
// of configs or plugins), and renders results and events.
//
// Restore itself (plans, the apply journal and its guarded runner) lives in
// package restore, which knows nothing of stores.
package usecase
