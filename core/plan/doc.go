// Package plan holds the backup plan (backup-plan.json) of canic-backup:
// its wire types, how a plan is built from a registry (scopes, depth, target
// selection, phases), how it is validated, and how preflight receipts
// upgrade a declared plan to an executable one.
package plan
