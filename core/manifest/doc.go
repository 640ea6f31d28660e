// Package manifest holds fleet-backup-manifest.json (FleetBackupManifest):
// its wire types, the validation rules of canic-backup 0.35.1 in their exact
// order and wording, the validation summary printed by `manifest validate`,
// a restore-readiness check, and the builder that turns a finished backup
// run into a manifest.
//
// Every document is decoded and encoded with core/wire; field order and
// serde rules follow 0.35.1 so golden manifests re-encode byte-identical.
package manifest
