package agent

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/internal/icnet"
)

// Duration is a time.Duration read from TOML as a Go duration string such
// as "4m" or "250ms".
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText renders the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Root key choices besides an explicit hex DER key.
const (
	// RootKeyMainnet uses the IC mainnet's root key.
	RootKeyMainnet = "mainnet"
	// RootKeyFetch trusts the key /api/v2/status reports (local networks
	// only; refused for the mainnet URL).
	RootKeyFetch = "fetch"
)

// MainnetURL is the IC's public API boundary.
const MainnetURL = "https://icp-api.io"

// Settings configure the agent executor. Zero fields take the defaults of
// DefaultSettings, which suit mainnet.
type Settings struct {
	// URL is the replica or boundary node, e.g. https://icp-api.io or
	// http://127.0.0.1:4943.
	URL string `toml:"url"`
	// RootKey is "mainnet", "fetch" or the 266-hex-digit DER root key.
	// Empty means "mainnet" for the IC's own URLs (https on icp-api.io,
	// ic0.app, icp0.io or a subdomain) and is an error for any other URL;
	// "mainnet" is refused for any other URL.
	RootKey string `toml:"root_key"`
	// IdentityPEM is the path of a PEM private key (ed25519 or secp256k1,
	// as dfx and icp write them); empty means the anonymous identity.
	IdentityPEM string `toml:"identity_pem"`
	// ChunkConcurrency is how many chunks one transfer keeps in flight.
	ChunkConcurrency int `toml:"chunk_concurrency"`
	// MaxInFlight caps chunk calls in flight across every transfer of the
	// executor process.
	MaxInFlight int `toml:"max_in_flight"`
	// IngressExpiry is how long a signed request stays valid (the IC
	// refuses more than about 5 minutes).
	IngressExpiry Duration `toml:"ingress_expiry"`
	// PollTimeout bounds waiting for one call's certified result.
	PollTimeout Duration `toml:"poll_timeout"`
	// MaxCertificateAge is the oldest certified /time accepted.
	MaxCertificateAge Duration `toml:"max_certificate_age"`
	// RetryAttempts bounds attempts of a call failing transiently.
	RetryAttempts int `toml:"retry_attempts"`
	// RetryInitialBackoff is the first retry delay (doubles, with jitter).
	RetryInitialBackoff Duration `toml:"retry_initial_backoff"`
	// RetryMaxBackoff caps the retry delay.
	RetryMaxBackoff Duration `toml:"retry_max_backoff"`
	// Concurrency is how many operations of a phase the engine runs at once
	// through this executor (stops of one depth level, snapshots, starts of
	// one level; downloads separately). 0 means the engine's default; 1 is
	// canic 0.35.1's one at a time. The --concurrency flag overrides it.
	Concurrency int `toml:"concurrency"`
}

// EngineConcurrency is Concurrency, for the engine (0: its default).
func (s Settings) EngineConcurrency() int { return s.Concurrency }

// DefaultSettings returns the defaults: mainnet URL and key, anonymous,
// 8 chunks per transfer, 64 in flight per process, 4 minute ingress expiry
// (as icp), 5 minute poll timeout, certificates at most 5 minutes old,
// 8 attempts with backoff from 250ms to 30s.
func DefaultSettings() Settings {
	return Settings{
		URL: MainnetURL, RootKey: RootKeyMainnet,
		ChunkConcurrency: 8, MaxInFlight: 64,
		IngressExpiry: Duration(4 * time.Minute), PollTimeout: Duration(5 * time.Minute),
		MaxCertificateAge: Duration(5 * time.Minute),
		RetryAttempts:     8, RetryInitialBackoff: Duration(250 * time.Millisecond), RetryMaxBackoff: Duration(30 * time.Second),
	}
}

// WithDefaults returns s with every zero field set from DefaultSettings.
func (s Settings) WithDefaults() Settings {
	d := DefaultSettings()
	if s.URL == "" {
		s.URL = d.URL
	}
	if s.RootKey == "" && icnet.IsMainnetURL(s.URL) {
		s.RootKey = d.RootKey
	}
	if s.ChunkConcurrency == 0 {
		s.ChunkConcurrency = d.ChunkConcurrency
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = d.MaxInFlight
	}
	if s.IngressExpiry == 0 {
		s.IngressExpiry = d.IngressExpiry
	}
	if s.PollTimeout == 0 {
		s.PollTimeout = d.PollTimeout
	}
	if s.MaxCertificateAge == 0 {
		s.MaxCertificateAge = d.MaxCertificateAge
	}
	if s.RetryAttempts == 0 {
		s.RetryAttempts = d.RetryAttempts
	}
	if s.RetryInitialBackoff == 0 {
		s.RetryInitialBackoff = d.RetryInitialBackoff
	}
	if s.RetryMaxBackoff == 0 {
		s.RetryMaxBackoff = d.RetryMaxBackoff
	}
	return s
}

// SettingsError names the invalid setting and its value.
type SettingsError struct {
	// Field is the TOML key.
	Field string
	// Value is the offending value as written.
	Value string
	// Reason says what is wrong.
	Reason string
}

// Error renders "agent executor setting FIELD = VALUE: REASON".
func (e *SettingsError) Error() string {
	return fmt.Sprintf("agent executor setting %s = %q: %s", e.Field, e.Value, e.Reason)
}

// Validate checks s (after WithDefaults) and returns a *SettingsError for
// the first bad field.
func (s Settings) Validate() error {
	bad := func(f, v, r string) error { return &SettingsError{Field: f, Value: v, Reason: r} }
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("url", s.URL, "must be an http:// or https:// URL with a host")
	}
	if u.User != nil {
		// As for an S3 endpoint: a secret never lives in canic.toml, and
		// the value is shown with its password redacted.
		return bad("url", u.Redacted(), "credentials (user:password@) may not be written into the URL; the IC's HTTP interface takes none (put an authenticating proxy's secret in its own config)")
	}
	switch s.RootKey {
	case "":
		return bad("root_key", s.RootKey, "is not set, and url "+s.URL+" is not one of the IC's own ("+icnet.MainnetDomainList+
			", https): set root_key = \"fetch\" for a local replica or the network's 266-hex-digit DER root key")
	case RootKeyMainnet:
		if !icnet.IsMainnetURL(s.URL) {
			return bad("root_key", s.RootKey, "the IC mainnet root key is only for the IC's own URLs ("+icnet.MainnetDomainList+
				", https), url is "+s.URL+": set root_key = \"fetch\" for a local replica or the network's 266-hex-digit DER root key")
		}
	case RootKeyFetch:
		if isMainnet(u) {
			return bad("root_key", s.RootKey, "fetching the root key from the mainnet URL "+s.URL+" is refused; use \"mainnet\"")
		}
	default:
		b, err := hex.DecodeString(s.RootKey)
		if err != nil || len(b) != 133 {
			return bad("root_key", s.RootKey, "must be \"mainnet\", \"fetch\" or a 266-hex-digit DER root key")
		}
	}
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{{"chunk_concurrency", s.ChunkConcurrency, 256}, {"max_in_flight", s.MaxInFlight, 1024}, {"retry_attempts", s.RetryAttempts, 100}} {
		if f.v < 1 || f.v > f.max {
			return bad(f.name, fmt.Sprint(f.v), fmt.Sprintf("must be between 1 and %d", f.max))
		}
	}
	if d := time.Duration(s.IngressExpiry); d < 10*time.Second || d > 5*time.Minute {
		return bad("ingress_expiry", d.String(), "must be between 10s and 5m (the IC refuses later expiries)")
	}
	for _, f := range []struct {
		name string
		d    Duration
	}{{"poll_timeout", s.PollTimeout}, {"max_certificate_age", s.MaxCertificateAge},
		{"retry_initial_backoff", s.RetryInitialBackoff}, {"retry_max_backoff", s.RetryMaxBackoff}} {
		if f.d <= 0 {
			return bad(f.name, time.Duration(f.d).String(), "must be positive")
		}
	}
	if s.Concurrency < 0 || s.Concurrency > 64 {
		return bad("concurrency", fmt.Sprint(s.Concurrency), "must be between 0 (the engine's default) and 64")
	}
	if s.RetryMaxBackoff < s.RetryInitialBackoff {
		return bad("retry_max_backoff", time.Duration(s.RetryMaxBackoff).String(), "must not be less than retry_initial_backoff")
	}
	return nil
}

func isMainnet(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	return h == "ic0.app" || h == "icp0.io" || h == "icp-api.io" || strings.HasSuffix(h, ".ic0.app") ||
		strings.HasSuffix(h, ".icp0.io") || strings.HasSuffix(h, ".icp-api.io")
}
