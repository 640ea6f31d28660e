// Package sealed is the "sealed" store format: an encrypted, deduplicated
// repository of backups inside a core/store Store.
//
// Artifacts are cut into content-defined chunks (restic/chunker, with a
// polynomial derived from the repository's dedup key), each chunk is named
// by HMAC-SHA256 under the dedup key, compressed with zstd, encrypted with
// age to the repository's recipients and appended to a pack object
// data/<sha256 of the pack>. index/<pack> lists a pack's chunks and
// snapshots/<HMAC(name)> records one backup (its artifacts' chunk lists
// and its age-sealed documents); both are sealed with AES-256-GCM under a
// key derived from the dedup key, so a host holding only the recipients
// and the dedup key can write and deduplicate but cannot read any content.
// Object names reveal no backup names or canister ids. See docs/stores.md,
// "Sealed format (library only)".
//
// The CLI does not use this package yet: `format = "sealed"` on a store,
// `store init` and `store gc` are issue 24's remaining work, so no command
// can write a sealed store today.
package sealed
