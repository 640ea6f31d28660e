package dfx

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/internal/icnet"
)

// Flavor names the CLI the executor drives.
type Flavor string

// The supported CLIs.
const (
	// FlavorICP drives the icp CLI (icp-cli 1.5.0).
	FlavorICP Flavor = "icp"
	// FlavorDFX drives the deprecated dfx CLI (0.32.x).
	FlavorDFX Flavor = "dfx"
)

// Defaults applied by Settings.WithDefaults.
const (
	DefaultNetwork         = "local"
	DefaultConcurrency     = 4
	DefaultCommandTimeout  = 5 * time.Minute
	DefaultTransferTimeout = 2 * time.Hour
	DefaultMaxOutputBytes  = 4 << 20
	DefaultStderrLines     = 6
	maxConcurrency         = 64
)

// ErrInvalidSettings is wrapped by every error Settings.Validate returns.
var ErrInvalidSettings = errors.New("invalid dfx/icp executor settings")

// Settings configure an Executor. They decode from TOML (the `toml` tags),
// e.g. an [executor.icp] table in canic-backup's config.
type Settings struct {
	// Flavor is "icp" or "dfx".
	Flavor Flavor `toml:"flavor"`
	// Binary is the CLI's path or a name looked up on PATH; empty means the
	// flavor's name.
	Binary string `toml:"binary"`
	// Network is a network name ("local", "ic", a project's network) or a
	// URL. Empty means "local". It overrides the network of each Target.
	Network string `toml:"network"`
	// RootKey is icp's -k for a URL network: "fetch", "mainnet" or the
	// DER root key in hex. Empty means "fetch" for a URL network. dfx
	// always fetches the root key of a non-IC network itself.
	RootKey string `toml:"root_key"`
	// Environment is icp's -e environment; it replaces -n when set (icp
	// only, needs ProjectDir).
	Environment string `toml:"environment"`
	// Identity is the identity name passed as --identity; empty uses the
	// CLI's default identity (or "canic-backup" when IdentityPEM is set).
	Identity string `toml:"identity"`
	// IdentityPEM is the path of a PEM key file (icp only) imported into a
	// private ICP_HOME for the executor's lifetime. The key is never copied
	// anywhere else, logged or put on a command line.
	IdentityPEM string `toml:"identity_pem"`
	// ProjectDir is the working directory of every command: the icp or dfx
	// project that defines named networks. Empty means a private temporary
	// directory (enough for URL networks and "ic").
	ProjectDir string `toml:"project_dir"`
	// Env holds extra environment variables for every command.
	Env map[string]string `toml:"env"`
	// Concurrency bounds the subprocesses running at once.
	Concurrency int `toml:"concurrency"`
	// CommandTimeout bounds each non-transfer command.
	CommandTimeout time.Duration `toml:"command_timeout"`
	// TransferTimeout bounds each snapshot download or upload.
	TransferTimeout time.Duration `toml:"transfer_timeout"`
	// MaxOutputBytes bounds the stdout and the stderr captured per command.
	MaxOutputBytes int `toml:"max_output_bytes"`
	// StderrLines is how many first lines of stderr an error quotes.
	StderrLines int `toml:"stderr_lines"`
}

// WithDefaults returns s with every empty field set to its default.
func (s Settings) WithDefaults() Settings {
	if s.Binary == "" {
		s.Binary = string(s.Flavor)
	}
	if s.Network == "" && s.Environment == "" {
		s.Network = DefaultNetwork
	}
	if s.RootKey == "" && s.Flavor == FlavorICP && icnet.IsMainnetURL(s.Network) {
		s.RootKey = "mainnet"
	}
	if s.Identity == "" && s.IdentityPEM != "" {
		s.Identity = "canic-backup"
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.CommandTimeout == 0 {
		s.CommandTimeout = DefaultCommandTimeout
	}
	if s.TransferTimeout == 0 {
		s.TransferTimeout = DefaultTransferTimeout
	}
	if s.MaxOutputBytes == 0 {
		s.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if s.StderrLines == 0 {
		s.StderrLines = DefaultStderrLines
	}
	return s
}

// Validate checks s (after WithDefaults) and names the first bad field and
// its value.
func (s Settings) Validate() error {
	for _, check := range []func() error{
		s.validateTool, s.validateNetwork, s.validateRootKey, s.validateIdentity,
		s.validateProject, s.validateEnv, s.validateLimits,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// bad is the error for a settings field whose value is refused, naming
// the field, the value and why.
func bad(field string, value any, why string) error {
	return fmt.Errorf("%w: %s = %q: %s", ErrInvalidSettings, field, fmt.Sprint(value), why)
}

// validateTool checks the flavor, the binary and the environment.
func (s Settings) validateTool() error {
	switch s.Flavor {
	case FlavorICP, FlavorDFX:
	default:
		return bad("flavor", s.Flavor, `must be "icp" or "dfx"`)
	}
	if s.Binary == "" {
		return bad("binary", s.Binary, "is empty")
	}
	if s.Environment != "" {
		if s.Flavor != FlavorICP {
			return bad("environment", s.Environment, "only the icp flavor has environments; use network")
		}
		if s.Network != "" && s.Network != DefaultNetwork {
			return bad("environment", s.Environment, "conflicts with network "+s.Network+" (icp accepts -e or -n, not both)")
		}
	}
	return nil
}

// validateNetwork checks the network name or URL (no credentials in it).
func (s Settings) validateNetwork() error {
	if isURL(s.Network) {
		if _, err := url.Parse(s.Network); err != nil {
			return bad("network", s.Network, "is not a valid URL")
		}
	} else if strings.ContainsAny(s.Network, " \t\n") || strings.HasPrefix(s.Network, "-") {
		return bad("network", s.Network, "is neither a network name nor an http(s) URL")
	}
	if u, err := url.Parse(s.Network); err == nil && isURL(s.Network) && u.User != nil {
		return bad("network", u.Redacted(), "credentials (user:password@) may not be written into the URL")
	}
	return nil
}

// validateRootKey checks the root key against the flavor and the network:
// a URL other than the IC's own needs an explicit key, and "mainnet" is
// only for the IC's own URLs.
func (s Settings) validateRootKey() error {
	if s.RootKey == "" && s.Flavor == FlavorICP && isURL(s.Network) {
		return bad("root_key", s.RootKey, "is not set, and network "+s.Network+" is a URL that is not one of the IC's own ("+
			icnet.MainnetDomainList+", https): set root_key = \"fetch\" for a local replica or the network's 266-hex-digit DER root key")
	}
	if s.RootKey == "mainnet" && isURL(s.Network) && !icnet.IsMainnetURL(s.Network) {
		return bad("root_key", s.RootKey, "the IC mainnet root key is only for the IC's own URLs ("+icnet.MainnetDomainList+
			", https), network is "+s.Network+": set root_key = \"fetch\" for a local replica or the network's 266-hex-digit DER root key")
	}
	if s.RootKey != "" {
		if s.Flavor != FlavorICP {
			return bad("root_key", s.RootKey, "only the icp flavor takes a root key; dfx fetches it")
		}
		if !isURL(s.Network) {
			return bad("root_key", s.RootKey, "is only used with a URL network, network is "+s.Network)
		}
		if s.RootKey != "fetch" && s.RootKey != "mainnet" && !isHex(s.RootKey) {
			return bad("root_key", s.RootKey, `must be "fetch", "mainnet" or hex`)
		}
	}
	return nil
}

// validateIdentity checks identity_pem and the identity name.
func (s Settings) validateIdentity() error {
	if s.IdentityPEM != "" {
		if s.Flavor != FlavorICP {
			return bad("identity_pem", s.IdentityPEM, "only the icp flavor can import a PEM file; name a dfx identity instead")
		}
		st, err := os.Stat(s.IdentityPEM)
		if err != nil {
			return bad("identity_pem", s.IdentityPEM, "cannot be read")
		}
		if st.IsDir() {
			return bad("identity_pem", s.IdentityPEM, "is a directory")
		}
	}
	if strings.HasPrefix(s.Identity, "-") || strings.ContainsAny(s.Identity, " \t\n/") {
		return bad("identity", s.Identity, "is not an identity name")
	}
	return nil
}

// validateProject checks project_dir, which icp needs for a named network.
func (s Settings) validateProject() error {
	if s.ProjectDir != "" {
		st, err := os.Stat(s.ProjectDir)
		if err != nil || !st.IsDir() {
			return bad("project_dir", s.ProjectDir, "is not a directory")
		}
	}
	if s.Flavor == FlavorICP && !isURL(s.Network) && s.Network != "ic" && s.ProjectDir == "" {
		return bad("project_dir", s.ProjectDir, "icp needs a project for the named network "+s.Network+"/environment "+s.Environment+"; set project_dir or use a URL network")
	}
	return nil
}

// validateEnv checks the environment variables given to the tool.
func (s Settings) validateEnv() error {
	for k := range s.Env {
		if k == "" || strings.ContainsAny(k, "= \t\n") {
			return bad("env", k, "is not an environment variable name")
		}
		if k == "ICP_HOME" && s.IdentityPEM != "" {
			return bad("env", k, "conflicts with identity_pem, which uses a private ICP_HOME")
		}
	}
	return nil
}

// validateLimits checks concurrency, timeouts and output bounds.
func (s Settings) validateLimits() error {
	if s.Concurrency < 1 || s.Concurrency > maxConcurrency {
		return bad("concurrency", s.Concurrency, fmt.Sprintf("must be between 1 and %d", maxConcurrency))
	}
	if s.CommandTimeout < 0 {
		return bad("command_timeout", s.CommandTimeout, "must be positive")
	}
	if s.TransferTimeout < 0 {
		return bad("transfer_timeout", s.TransferTimeout, "must be positive")
	}
	if s.MaxOutputBytes < 1024 {
		return bad("max_output_bytes", s.MaxOutputBytes, "must be at least 1024")
	}
	if s.StderrLines < 1 {
		return bad("stderr_lines", s.StderrLines, "must be at least 1")
	}
	return nil
}

// binaryPath resolves Binary: a path is made absolute, a bare name is
// looked up on PATH.
func (s Settings) binaryPath() (string, error) {
	if strings.ContainsRune(s.Binary, filepath.Separator) {
		return filepath.Abs(s.Binary)
	}
	return lookPath(s.Binary)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func isHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
