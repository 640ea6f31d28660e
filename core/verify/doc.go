// Package verify checks a backup directory without changing it: layout
// integrity (`backup verify`: manifest, download journal and artifacts agree
// and every artifact still has its recorded checksum), execution integrity
// (the execution journal belongs to the plan beside it) and the layout status
// label. Every failure is a *VerificationError (errors.Is ErrVerification)
// naming the first bad file, so the CLI can map it to exit code 3.
package verify
