//go:build !linux && !windows

package atomicfile

// renameNoReplace has no atomic form here: Publish falls back.
func renameNoReplace(oldpath, newpath string) error { return errNoReplaceUnsupported }
