package plugintest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Build compiles the main package pkg (an import path or a ./relative path,
// resolved from the current directory) into dir and returns the binary's
// path. Extra arguments, such as "-ldflags=-X main.v=2", go before pkg. It
// is meant for TestMain, so that tests run the plugin as the host will.
func Build(ctx context.Context, dir, name, pkg string, args ...string) (string, error) {
	out := filepath.Join(dir, name)
	cmdArgs := append([]string{"build", "-o", out}, args...)
	cmdArgs = append(cmdArgs, pkg)
	cmd := exec.CommandContext(ctx, "go", cmdArgs...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}
