package pluginapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ErrClosed is returned by a Client's methods after Close.
var ErrClosed = errors.New("executor client is closed")

// DefaultMaxRestarts is how many times in a row a Client restarts a plugin
// that died, with no successful call in between, before it gives up.
const DefaultMaxRestarts = 10

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Name names the executor in logs and errors, e.g. "icp".
	Name string
	// Cmd is the command that launches the plugin. It is a template: it is
	// never started itself; each (re)start runs a copy of its Path, Args,
	// Env, Dir and SysProcAttr. The built-in executors run the canic-backup
	// binary itself with a hidden sub-command.
	Cmd *exec.Cmd
	// SHA256, when set, pins the lowercase hex sha256 of the binary at
	// Cmd.Path: a mismatch refuses to start, naming both digests.
	SHA256 string
	// Logger receives the host's messages about the plugin and the plugin's
	// own log lines, tagged with Name. nil discards them.
	Logger hclog.Logger
	// StartTimeout bounds the handshake; 0 means 30 seconds.
	StartTimeout time.Duration
	// MaxRestarts bounds consecutive restarts; 0 means DefaultMaxRestarts.
	MaxRestarts int
	// ProtocolVersion is the protocol version the host accepts; 0 means
	// ProtocolVersion. Only tests change it.
	ProtocolVersion int
}

func (c *ClientConfig) protocolVersion() int {
	if c.ProtocolVersion == 0 {
		return ProtocolVersion
	}
	return c.ProtocolVersion
}

// Client is the host's Executor for one plugin. It launches the plugin on
// first use and, like Velero's restartable process, starts it again on the
// next call after it died: the call in flight when the process died fails
// with an *ExitError naming the executor and its exit status. It is safe
// for concurrent use; calls share one process.
type Client struct {
	cfg    ClientConfig
	logger hclog.Logger

	mu       sync.Mutex
	proc     *process
	restarts int
	closed   bool
}

var _ Executor = (*Client)(nil)

// NewClient validates cfg and returns a Client. The plugin is not started
// until the first call (or Start).
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Name == "" {
		return nil, errors.New("executor client config: name is empty")
	}
	if cfg.Cmd == nil {
		return nil, fmt.Errorf("executor %q: client config has no command", cfg.Name)
	}
	if cfg.SHA256 != "" {
		cfg.SHA256 = strings.ToLower(cfg.SHA256)
		if b, err := hex.DecodeString(cfg.SHA256); err != nil || len(b) != 32 {
			return nil, fmt.Errorf("executor %q: sha256 %q is not 64 hex digits", cfg.Name, cfg.SHA256)
		}
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.MaxRestarts == 0 {
		cfg.MaxRestarts = DefaultMaxRestarts
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Client{cfg: cfg, logger: logger.Named(cfg.Name)}, nil
}

// Name returns the executor's name.
func (c *Client) Name() string { return c.cfg.Name }

// Start launches the plugin now instead of on the first call.
func (c *Client) Start(ctx context.Context) error {
	_, err := c.get(ctx)
	return err
}

// Close ends the plugin process (gracefully, then SIGKILL after 2 seconds).
// Later calls fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	p := c.proc
	c.proc, c.closed = nil, true
	c.mu.Unlock()
	if p != nil {
		p.kill()
	}
	return nil
}

// get returns the live process, starting it if there is none or the last
// one died.
func (c *Client) get(ctx context.Context) (*process, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("executor %q: %w", c.cfg.Name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("executor %q: %w", c.cfg.Name, ErrClosed)
	}
	if c.proc != nil && !c.proc.exited() {
		return c.proc, nil
	}
	if c.proc != nil {
		c.proc.kill()
		c.proc = nil
		c.restarts++
		if c.restarts > c.cfg.MaxRestarts {
			return nil, &Error{Code: CodeInternal, Executor: c.cfg.Name,
				Message: fmt.Sprintf("plugin died %d times in a row; not restarting it again", c.restarts)}
		}
		c.logger.Warn("plugin process exited; restarting", "restarts", c.restarts)
	}
	p, err := startProcess(&c.cfg, c.logger)
	if err != nil {
		return nil, err
	}
	c.proc = p
	return p, nil
}

// do runs f against the live process and turns a failure caused by the
// process dying into an *ExitError.
func (c *Client) do(ctx context.Context, method string, f func(Executor) error) error {
	p, err := c.get(ctx)
	if err != nil {
		return err
	}
	err = f(p.exec)
	if err == nil {
		c.mu.Lock()
		c.restarts = 0
		c.mu.Unlock()
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	var e *Error
	if errors.As(err, &e) && e.transport {
		if status := p.waitExit(3 * time.Second); status != "" {
			c.logger.Error("plugin process exited during a call", "method", method, "status", status)
			return &ExitError{Executor: c.cfg.Name, Method: method, Status: status}
		}
	}
	return err
}

// Info implements Executor.
func (c *Client) Info(ctx context.Context) (out Info, err error) {
	err = c.do(ctx, "Info", func(e Executor) (err error) { out, err = e.Info(ctx); return })
	return out, err
}

// Preflight implements Executor.
func (c *Client) Preflight(ctx context.Context, req PreflightRequest) (out PreflightReport, err error) {
	err = c.do(ctx, "Preflight", func(e Executor) (err error) { out, err = e.Preflight(ctx, req); return })
	return out, err
}

// QueryRegistry implements Executor.
func (c *Client) QueryRegistry(ctx context.Context, network, root string) (out []RegistryEntry, err error) {
	err = c.do(ctx, "QueryRegistry", func(e Executor) (err error) { out, err = e.QueryRegistry(ctx, network, root); return })
	return out, err
}

// CanisterStatus implements Executor.
func (c *Client) CanisterStatus(ctx context.Context, t Target) (out CanisterStatus, err error) {
	err = c.do(ctx, "CanisterStatus", func(e Executor) (err error) { out, err = e.CanisterStatus(ctx, t); return })
	return out, err
}

// StopCanister implements Executor.
func (c *Client) StopCanister(ctx context.Context, t Target) error {
	return c.do(ctx, "StopCanister", func(e Executor) error { return e.StopCanister(ctx, t) })
}

// StartCanister implements Executor.
func (c *Client) StartCanister(ctx context.Context, t Target) error {
	return c.do(ctx, "StartCanister", func(e Executor) error { return e.StartCanister(ctx, t) })
}

// CreateSnapshot implements Executor.
func (c *Client) CreateSnapshot(ctx context.Context, t Target) (out SnapshotInfo, err error) {
	err = c.do(ctx, "CreateSnapshot", func(e Executor) (err error) { out, err = e.CreateSnapshot(ctx, t); return })
	return out, err
}

// ListSnapshots implements Executor.
func (c *Client) ListSnapshots(ctx context.Context, t Target) (out []SnapshotInfo, err error) {
	err = c.do(ctx, "ListSnapshots", func(e Executor) (err error) { out, err = e.ListSnapshots(ctx, t); return })
	return out, err
}

// DeleteSnapshot implements Executor.
func (c *Client) DeleteSnapshot(ctx context.Context, t Target, id string) error {
	return c.do(ctx, "DeleteSnapshot", func(e Executor) error { return e.DeleteSnapshot(ctx, t, id) })
}

// LoadSnapshot implements Executor.
func (c *Client) LoadSnapshot(ctx context.Context, t Target, id string) error {
	return c.do(ctx, "LoadSnapshot", func(e Executor) error { return e.LoadSnapshot(ctx, t, id) })
}

// DownloadSnapshot implements Executor.
func (c *Client) DownloadSnapshot(ctx context.Context, t Target, id, dir string, progress ProgressFunc) (out TransferResult, err error) {
	err = c.do(ctx, "DownloadSnapshot", func(e Executor) (err error) {
		out, err = e.DownloadSnapshot(ctx, t, id, dir, progress)
		return
	})
	return out, err
}

// UploadSnapshot implements Executor.
func (c *Client) UploadSnapshot(ctx context.Context, t Target, dir string, progress ProgressFunc) (out TransferResult, err error) {
	err = c.do(ctx, "UploadSnapshot", func(e Executor) (err error) { out, err = e.UploadSnapshot(ctx, t, dir, progress); return })
	return out, err
}
