// Package backup holds the backup use cases' engine logic that the CLI
// only configures and renders: a run's place in an artifact store (the
// fleet lease it works under, the artifact sink, the publish of its staging
// directory and the sweep of interrupted uploads) and the retention policy
// of `backup prune` with its crash-safe delete.
//
// The package knows nothing of flags, plugins or terminals: callers pass
// typed options in and get reports back.
package backup
