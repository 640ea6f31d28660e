package dfx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// privateHome creates the executor's private directory (mode 0700) that
// holds icp's ICP_HOME when a PEM is imported and, without a ProjectDir,
// serves as the commands' working directory.
func privateHome() (string, error) {
	dir, err := os.MkdirTemp("", "canic-backup-icp-*")
	if err != nil {
		return "", fmt.Errorf("create private icp home: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("create private icp home: %w", err)
	}
	return dir, nil
}

// importIdentity imports the PEM at pemPath as identity name into the
// private ICP_HOME the runner's environment points at. Only the file's path
// reaches the command line; icp reads the key itself and stores it under
// ICP_HOME/identity/keys, which Close removes.
func (e *Executor) importIdentity(ctx context.Context, name, pemPath string) error {
	abs, err := filepath.Abs(pemPath)
	if err != nil {
		return pluginapi.Errorf(pluginapi.CodeInvalidArgument, "identity_pem %q: %v", pemPath, err)
	}
	if _, err := e.r.run(ctx, "ImportIdentity", "", e.s.CommandTimeout, icpImportArgv(name, abs)); err != nil {
		// The error quotes icp's stderr, which names the file but never
		// prints key material.
		return protocolError(fmt.Sprintf("import identity_pem %q as identity %q", pemPath, name), err)
	}
	return nil
}
