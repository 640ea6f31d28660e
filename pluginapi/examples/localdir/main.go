// Command localdir is an example third-party canic-backup executor plugin.
// It serves canisters and snapshots from a local directory and records every
// call it receives (see package store for the layout). The host starts it;
// run by hand it only prints that it is a plugin.
//
// Environment:
//
//	LOCALDIR_ROOT         the directory it serves (required)
//	LOCALDIR_CHUNK_SIZE   transfer chunk size in bytes (default 65536)
//	LOCALDIR_CHUNK_DELAY  pause before each chunk, e.g. 20ms (default 0)
//	LOCALDIR_CRASH_ON     a method name; the process exits with status 3
//	                      when it receives that call (for crash tests)
//
// Build with -ldflags "-X main.protocolVersion=2" to get a plugin that
// announces another protocol version, for testing the host's refusal.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/examples/localdir/store"
)

// protocolVersion is set only by -ldflags -X in tests of version skew.
var protocolVersion string

func main() {
	logger := pluginapi.NewPluginLogger(store.Name)
	root := os.Getenv("LOCALDIR_ROOT")
	if root == "" {
		fmt.Fprintln(os.Stderr, "localdir: LOCALDIR_ROOT is not set")
		os.Exit(1)
	}
	opts := store.Options{}
	if v := os.Getenv("LOCALDIR_CHUNK_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "localdir: LOCALDIR_CHUNK_SIZE %q is not a positive integer\n", v)
			os.Exit(1)
		}
		opts.ChunkSize = n
	}
	if v := os.Getenv("LOCALDIR_CHUNK_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "localdir: LOCALDIR_CHUNK_DELAY %q: %v\n", v, err)
			os.Exit(1)
		}
		opts.ChunkDelay = d
	}
	serve := pluginapi.ServeOptions{Logger: logger}
	if protocolVersion != "" {
		v, err := strconv.Atoi(protocolVersion)
		if err != nil {
			fmt.Fprintf(os.Stderr, "localdir: protocol version %q is not an integer\n", protocolVersion)
			os.Exit(1)
		}
		serve.ProtocolVersion = v
	}
	_ = os.WriteFile(filepath.Join(root, "plugin.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	logger.Info("serving", "root", root)
	opts.CrashOn = os.Getenv("LOCALDIR_CRASH_ON")
	pluginapi.ServeWith(store.New(root, opts), serve)
}
