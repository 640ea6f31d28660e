package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/canic-backup/canic-backup/core/runner"
)

// interruptContext returns a context cancelled by the first SIGINT or
// SIGTERM. A run then stops starting operations and starts again every
// canister it stopped, within runner.RestartGracePeriod. A second signal
// closes the abort channel the context carries (runner.WithAbort): that
// restart is skipped or cut short, and the message says so and names
// `backup recover`. A third signal has the default effect (the process
// dies). Messages go to stderr when it is non-nil (plugin processes pass
// nil: their host speaks for them). stop releases the signals.
func interruptContext(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	abort := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(sigs)
		select {
		case sig := <-sigs:
			if stderr != nil {
				fmt.Fprintf(stderr, "canic-backup: %s: stopping; canisters this run stopped are started again (at most %s); send it again to skip that\n",
					signalName(sig), runner.RestartGracePeriod)
			}
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			if stderr != nil {
				fmt.Fprintf(stderr, "canic-backup: second signal (%s): not starting stopped canisters; start them with `canic-backup backup recover --dir DIR`\n",
					sig)
			}
			close(abort)
		case <-done:
		}
	}()
	return runner.WithAbort(ctx, abort), func() {
		close(done)
		cancel()
	}
}

// signalName is "interrupt" or "terminated".
func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "terminated (SIGTERM)"
	}
	return "interrupted (SIGINT)"
}
