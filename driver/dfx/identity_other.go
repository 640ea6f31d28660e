//go:build !unix

package dfx

import "io/fs"

// processGone cannot tell on this platform: a directory is never swept
// for a dead owner (it is removed by its own process's cleanup).
func processGone(int) bool { return false }

// ownedByMe: the temp directory is per user on this platform.
func ownedByMe(fs.FileInfo) bool { return true }
