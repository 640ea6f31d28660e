// Command canic-backup backs up and restores whole fleets of Internet
// Computer canisters.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, osEnv())
	stop()
	os.Exit(code)
}
