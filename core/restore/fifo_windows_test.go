//go:build windows

package restore

import "testing"

// mkfifo: Windows has no named pipes in the file system; the cases that
// need one do not apply there.
func mkfifo(t *testing.T, _ string) {
	t.Helper()
	t.Skip("Windows has no FIFOs in the file system")
}
