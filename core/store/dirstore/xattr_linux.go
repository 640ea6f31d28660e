//go:build linux

package dirstore

import "syscall"

const xattrSHA256 = "user.canic.sha256"

// setSHA256 records the digest on the file; file systems without user
// xattrs are tolerated (the digest is then computed on Stat).
func setSHA256(path, sum string) {
	_ = syscall.Setxattr(path, xattrSHA256, []byte(sum), 0)
}

// getSHA256 reads the recorded digest.
func getSHA256(path string) (string, bool) {
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(path, xattrSHA256, buf)
	if err != nil || n != 64 {
		return "", false
	}
	return string(buf[:n]), true
}
