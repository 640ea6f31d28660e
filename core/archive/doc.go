// Package archive keeps whole backups in an artifact store (core/store).
//
// A backup called NAME (a backup directory's base name, for example
// "fleet-demo-20261126-101500") is the set of objects NAME/REL, where REL
// runs over the same relative paths a backup directory holds: the plan, the
// journals, the downtime record, the artifacts' files and, written last,
// the manifest. A backup whose manifest object exists is complete: the
// manifest is published only after every other object, with a conditional
// create, so a reader that finds it finds everything it names.
//
// The package moves bytes between a local backup directory and a store
// (Publish, Fetch), verifies a stored backup by streaming (Verify, with
// sampling for very large fleets), lists and deletes stored backups, and
// takes the cross-host fleet lock (LockFleet). It knows nothing of
// executors or the IC.
package archive
