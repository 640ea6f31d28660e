package pluginapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// process is one running plugin process and its gRPC stub.
type process struct {
	name   string
	client *plugin.Client
	cmd    *exec.Cmd
	exec   Executor
	killed sync.Once
	// unbind releases the tie that ends the plugin with the host
	// (platform.BindToHost: a job object on Windows, nothing on Unix).
	unbind func()
}

// cloneCmd copies the parts of a command template that describe what to
// run, so that every (re)start gets a fresh, never-started exec.Cmd.
func cloneCmd(t *exec.Cmd) *exec.Cmd {
	c := &exec.Cmd{
		Path:        t.Path,
		Args:        append([]string(nil), t.Args...),
		Env:         append([]string(nil), t.Env...),
		Dir:         t.Dir,
		SysProcAttr: t.SysProcAttr,
		Err:         t.Err,
	}
	return c
}

// fileSHA256 returns the lowercase hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// incompatibleRe extracts the plugin's version from go-plugin's
// "incompatible API version with plugin. Plugin version: N, ..." error.
var incompatibleRe = regexp.MustCompile(`(?i)incompatible API version with plugin\. Plugin version: (\d+)`)

// startProcess launches the plugin and completes the handshake. Every error
// path kills what was started.
func startProcess(cfg *ClientConfig, logger hclog.Logger) (*process, error) {
	cmd := cloneCmd(cfg.Cmd)
	cmd.SysProcAttr = withParentDeathSignal(cmd.SysProcAttr, syscall.SIGTERM)
	// The host's environment first, then the template's, so the template's
	// settings win (go-plugin would append the host's last).
	cmd.Env = append(os.Environ(), cmd.Env...)
	if cmd.Err != nil {
		// exec.Error repeats the name; keep only its cause.
		var ee *exec.Error
		if errors.As(cmd.Err, &ee) {
			return nil, &LaunchError{Executor: cfg.Name, Path: ee.Name, Err: ee.Err}
		}
		return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: cmd.Err}
	}
	fi, err := os.Stat(cmd.Path)
	if err != nil {
		return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: errors.Unwrap(err)}
	}
	if !platform.Executable(fi) {
		return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: errors.New("not an executable file")}
	}
	var secure *plugin.SecureConfig
	if cfg.SHA256 != "" {
		actual, err := fileSHA256(cmd.Path)
		if err != nil {
			return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: fmt.Errorf("hash plugin binary: %w", err)}
		}
		if actual != cfg.SHA256 {
			return nil, &ChecksumError{Executor: cfg.Name, Path: cmd.Path, Expected: cfg.SHA256, Actual: actual}
		}
		want, _ := hex.DecodeString(cfg.SHA256)
		secure = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	}
	stderr := &stderrTail{}
	client := plugin.NewClient(&plugin.ClientConfig{
		Stderr:           stderr,
		HandshakeConfig:  handshake(),
		VersionedPlugins: versionedPlugins(cfg.protocolVersion(), nil, cfg.Name),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           logger,
		StartTimeout:     cfg.StartTimeout,
		SkipHostEnv:      true,
	})
	p := &process{name: cfg.Name, client: client, cmd: cmd}
	rpc, err := client.Client()
	if err != nil {
		p.kill() // waits for go-plugin's stderr reader, so the tail is complete
		if ps := cmd.ProcessState; ps != nil && ps.Exited() {
			// It ended on its own (not killed by a timeout): its last
			// words say why.
			return nil, withStderr(launchError(cfg, cmd.Path, err), stderr.last())
		}
		return nil, launchError(cfg, cmd.Path, err)
	}
	release, err := platform.BindToHost(cmd.Process.Pid)
	if err != nil {
		p.kill()
		return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: err}
	}
	p.unbind = release
	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		p.kill()
		return nil, launchError(cfg, cmd.Path, err)
	}
	ex, ok := raw.(Executor)
	if !ok {
		p.kill()
		return nil, &LaunchError{Executor: cfg.Name, Path: cmd.Path, Err: fmt.Errorf("plugin dispensed %T, not an Executor", raw)}
	}
	p.exec = ex
	return p, nil
}

// withStderr adds the plugin's last stderr line to a *LaunchError.
func withStderr(err error, line string) error {
	var le *LaunchError
	if line != "" && errors.As(err, &le) {
		le.Stderr = line
	}
	return err
}

// stderrTailMax bounds what stderrTail keeps.
const stderrTailMax = 4096

// stderrTail keeps the end of a plugin's raw stderr (go-plugin writes each
// line to it besides logging it).
type stderrTail struct {
	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer.
func (s *stderrTail) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if len(s.buf) > stderrTailMax {
		s.buf = append([]byte(nil), s.buf[len(s.buf)-stderrTailMax:]...)
	}
	return len(p), nil
}

// last returns the last non-empty line written, trimmed.
func (s *stderrTail) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(s.buf)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// launchError classifies a go-plugin start failure.
func launchError(cfg *ClientConfig, path string, err error) error {
	if m := incompatibleRe.FindStringSubmatch(err.Error()); m != nil {
		v, _ := strconv.Atoi(m[1])
		return &ProtocolError{Executor: cfg.Name, PluginVersion: v, HostVersions: []int{cfg.protocolVersion()}}
	}
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		actual, herr := fileSHA256(path)
		if herr != nil {
			actual = "unreadable (" + herr.Error() + ")"
		}
		return &ChecksumError{Executor: cfg.Name, Path: path, Expected: cfg.SHA256, Actual: actual}
	}
	return &LaunchError{Executor: cfg.Name, Path: path, Err: err}
}

// exited reports whether the plugin process has ended.
func (p *process) exited() bool { return p.client.Exited() }

// waitExit waits up to d for the process to end and returns its exit status
// ("signal: killed", "exit status 2"), or "" if it is still running.
func (p *process) waitExit(d time.Duration) string {
	deadline := time.Now().Add(d)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Exited() is set under go-plugin's lock after cmd.Wait returned, so
	// ProcessState is visible here.
	if ps := p.cmd.ProcessState; ps != nil {
		return ps.String()
	}
	return "exited"
}

// kill ends the process: a graceful close, then SIGKILL after 2 seconds.
func (p *process) kill() {
	p.killed.Do(func() {
		p.client.Kill()
		if p.unbind != nil {
			p.unbind()
		}
	})
}
