//go:build !linux && !windows

package layout

// renameNoReplace has no atomic form here: Publish falls back.
func renameNoReplace(oldpath, newpath string) error { return errNoReplaceUnsupported }
