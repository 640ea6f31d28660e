package pluginapi

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
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
	// Cleanup, when set, runs before the plugin exits because its host is
	// gone or it was terminated (that path ends in os.Exit, which skips
	// deferred functions): built-in drivers remove their private files
	// there. It must be safe to call twice.
	Cleanup func()
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
			s := plugin.DefaultGRPCServer(append(o, grpc.WaitForHandlers(true), grpc.ChainUnaryInterceptor(detachShutdown)))
			go watchParent(logger, s, opts.Cleanup)
			return s
		},
	})
}

// shutdownMethod is go-plugin's controller call the host makes when it
// closes the client.
const shutdownMethod = "/plugin.GRPCController/Shutdown"

// detachShutdown runs go-plugin's Shutdown handler outside the call: the
// handler stops the server, and with WaitForHandlers Stop waits for every
// handler, its own caller included, so inline it never returns; the host
// then waited 2 s and killed the plugin with SIGKILL, which skipped every
// cleanup (the icp driver's imported key stayed on disk). Detached, Stop
// waits for the real calls, Serve returns and the plugin exits normally.
func detachShutdown(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if info.FullMethod != shutdownMethod {
		return handler(ctx, req)
	}
	go func() { _, _ = handler(context.WithoutCancel(ctx), req) }()
	return &emptypb.Empty{}, nil
}

// watchParent stops s and exits when the host process that started this
// plugin is gone (the plugin is reparented, or SIGTERM arrives: on Linux
// the host starts plugins with SIGTERM as their parent-death signal), so no
// plugin outlives its host.
func watchParent(logger hclog.Logger, s *grpc.Server, cleanup func()) {
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
	if cleanup != nil {
		cleanup()
	}
	logger.Warn(why+"; cancelled calls in flight, exiting", "host_pid", parent)
	os.Exit(2)
}
