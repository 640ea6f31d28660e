// Package host is the engine's side of the executor plugin boundary: it
// starts the executor a config names (a built-in driver served by the
// canic-backup binary re-executed, or an external plugin pinned by its
// sha256) and adapts the pluginapi.Executor it gets to the engine's
// interfaces (runner.Executor, runner.StatusReader, runner.SnapshotLister,
// restore.RestoreExecutor, restore.SnapshotCleaner and the cycles
// preflights), with one classification of plugin errors.
//
// core knows nothing of plugins; cmd/canic-backup only binds flags and
// wires this package to the use cases.
package host
