// Command buildweed builds the SeaweedFS `weed` binary the S3 store tests
// run into its cache (seaweed.CachePath; once, later runs find it) and
// prints its path. `make weed` runs it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/canic-backup/canic-backup/internal/seaweed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := seaweed.RepoRoot()
	if err == nil {
		var bin string
		bin, err = seaweed.Binary(ctx, root, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
		if err == nil {
			fmt.Println(bin)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "buildweed:", err)
	os.Exit(1)
}
