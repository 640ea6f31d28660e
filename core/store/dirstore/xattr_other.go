//go:build !linux

package dirstore

// setSHA256 is a no-op where user xattrs are not wired up; Stat and Get
// then hash the file.
func setSHA256(path, sum string) {}

// getSHA256 reports no recorded digest.
func getSHA256(path string) (string, bool) { return "", false }
