// Command canic-backup backs up and restores whole fleets of Internet
// Computer canisters.
package main

import (
	"context"
	"io"
	"os"
	"slices"
)

func main() {
	var msgs io.Writer = os.Stderr
	if slices.Contains(os.Args[1:], pluginServeCommandName) {
		msgs = nil
	}
	ctx, stop := interruptContext(context.Background(), msgs)
	code := run(ctx, os.Args, osEnv())
	stop()
	os.Exit(code)
}
