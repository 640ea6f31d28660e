//go:build windows

package atomicfile

import "github.com/canic-backup/canic-backup/internal/platform"

// renameNoReplace is MoveFileEx(MOVEFILE_WRITE_THROUGH) without
// MOVEFILE_REPLACE_EXISTING: the check and the move are one step, for files
// and directories alike, and the move is on disk when it returns.
func renameNoReplace(oldpath, newpath string) error {
	return platform.RenameNoReplace(oldpath, newpath)
}
