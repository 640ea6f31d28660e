package pluginapi

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOptions tunes ServeWith. The zero value is what Serve uses.
type ServeOptions struct {
	// ProtocolVersion overrides the protocol version the plugin announces.
	// Leave it 0 (ProtocolVersion); it exists so that tests can build a
	// plugin of another version and check the host's error.
	ProtocolVersion int
	// Logger is the plugin's logger; nil means NewPluginLogger("plugin").
	// It must write JSON to stderr: stdout belongs to the go-plugin
	// protocol, and the host re-logs each JSON line tagged with the
	// executor's name.
	Logger hclog.Logger
}

// NewPluginLogger returns the logger a plugin should log through: hclog JSON
// on stderr, which the host parses and re-logs into its own log.
func NewPluginLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Serve serves impl as a canic-backup executor plugin and returns when the
// host ends the plugin. It is all a plugin's main needs to call.
func Serve(impl Executor) { ServeWith(impl, ServeOptions{}) }

// ServeWith is Serve with options.
//
// Each call's context is cancelled when the host cancels the call (Ctrl-C,
// timeout) and when the host process disappears: the plugin watches its
// parent and, if it is gone, stops the gRPC server, which cancels every call
// in flight so the implementation ends its child processes, and then exits.
func ServeWith(impl Executor, opts ServeOptions) {
	version := opts.ProtocolVersion
	if version == 0 {
		version = ProtocolVersion
	}
	logger := opts.Logger
	if logger == nil {
		logger = NewPluginLogger("plugin")
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  handshake(),
		VersionedPlugins: versionedPlugins(version, impl, ""),
		Logger:           logger,
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			// Stop waits for the handlers it cancels, so a call's own
			// cleanup (its resume record, its outcome) ends before exit.
			s := plugin.DefaultGRPCServer(append(o, grpc.WaitForHandlers(true)))
			go watchParent(logger, s)
			return s
		},
	})
}

// watchParent stops s and exits when the host process that started this
// plugin is gone (the plugin is reparented, or SIGTERM arrives: on Linux
// the host starts plugins with SIGTERM as their parent-death signal), so no
// plugin outlives its host.
func watchParent(logger hclog.Logger, s *grpc.Server) {
	parent := os.Getppid()
	if parent <= 1 {
		return
	}
	why := waitHostGone(parent)
	// Stop first, log after: the host's end of stderr may be closed, and a
	// write to it can end this process (SIGPIPE) before the calls in
	// flight have finished their own cleanup.
	done := make(chan struct{})
	go func() { s.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	logger.Warn(why+"; cancelled calls in flight, exiting", "host_pid", parent)
	os.Exit(2)
}
