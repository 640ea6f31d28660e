package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Kind is a store backend: "dir" or "s3".
type Kind string

// The backends.
const (
	// KindDir is a local (or mounted) directory.
	KindDir Kind = "dir"
	// KindS3 is an S3-compatible bucket.
	KindS3 Kind = "s3"
)

// Settings is one `[stores.NAME]` table of canic.toml. Credentials are never
// part of it: an S3 store takes them from the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the AWS
// shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials, profile Profile or AWS_PROFILE or "default").
type Settings struct {
	// Kind selects the backend: "dir" or "s3".
	Kind Kind `toml:"kind"`
	// Path is the directory of a "dir" store.
	Path string `toml:"path"`
	// Endpoint is an S3 endpoint URL, "https://host[:port]" (or "http://"
	// for a local test server).
	Endpoint string `toml:"endpoint"`
	// Bucket is the S3 bucket.
	Bucket string `toml:"bucket"`
	// Prefix is prepended to every key in the bucket ("" or "a/b/").
	Prefix string `toml:"prefix"`
	// Region is the S3 region ("" lets the client discover it).
	Region string `toml:"region"`
	// PathStyle addresses the bucket as endpoint/bucket instead of
	// bucket.endpoint (needed by most self-hosted servers).
	PathStyle bool `toml:"path_style"`
	// Profile names the profile in the AWS credentials file ("" takes
	// AWS_PROFILE, then "default").
	Profile string `toml:"profile"`
	// PartSizeMiB is the multipart part size in MiB (0: 16; at least 5).
	PartSizeMiB int `toml:"part_size_mib"`
}

// SettingsError names the store, field and value of an invalid setting; it
// matches ErrInvalidSettings.
type SettingsError struct {
	// Store is the store's name in the config ("" when unknown).
	Store string
	// Field is the TOML key.
	Field string
	// Value is the offending value as written.
	Value string
	// Reason says what is wrong.
	Reason string
}

// Error renders `stores.NAME.field = "value": reason`.
func (e *SettingsError) Error() string {
	name := "stores"
	if e.Store != "" {
		name += "." + e.Store
	}
	return fmt.Sprintf("%s.%s = %q: %s", name, e.Field, e.Value, e.Reason)
}

// Is matches ErrInvalidSettings.
func (e *SettingsError) Is(target error) bool { return target == ErrInvalidSettings }

// DefaultPartSizeMiB is the multipart part size when PartSizeMiB is 0.
const DefaultPartSizeMiB = 16

// PartSize returns the multipart part size in bytes.
func (s Settings) PartSize() int64 {
	if s.PartSizeMiB == 0 {
		return DefaultPartSizeMiB << 20
	}
	return int64(s.PartSizeMiB) << 20
}

// Validate checks the settings of the store called name and returns a
// *SettingsError naming the first bad field.
func (s Settings) Validate(name string) error {
	bad := func(field, value, reason string) error {
		return &SettingsError{Store: name, Field: field, Value: value, Reason: reason}
	}
	switch s.Kind {
	case KindDir:
		if s.Path == "" {
			return bad("path", s.Path, `required for kind "dir"`)
		}
		if strings.ContainsRune(s.Path, 0) {
			return bad("path", s.Path, "contains a NUL byte")
		}
		for _, f := range [][2]string{{"endpoint", s.Endpoint}, {"bucket", s.Bucket}, {"prefix", s.Prefix}, {"region", s.Region}, {"profile", s.Profile}} {
			if f[1] != "" {
				return bad(f[0], f[1], `only for kind "s3"`)
			}
		}
		return nil
	case KindS3:
	case "":
		return bad("kind", string(s.Kind), `required: "dir" or "s3"`)
	default:
		return bad("kind", string(s.Kind), `unknown kind: expected "dir" or "s3"`)
	}
	if s.Path != "" {
		return bad("path", s.Path, `only for kind "dir"`)
	}
	u, err := url.Parse(s.Endpoint)
	switch {
	case s.Endpoint == "":
		return bad("endpoint", s.Endpoint, `required for kind "s3" (e.g. "https://s3.us-east-1.amazonaws.com")`)
	case err != nil:
		return bad("endpoint", s.Endpoint, "not a URL: "+err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("endpoint", s.Endpoint, `scheme must be "https" or "http"`)
	case u.Host == "":
		return bad("endpoint", s.Endpoint, "no host")
	case u.User != nil:
		return bad("endpoint", "(redacted)", "credentials may not be written into the endpoint; use the environment or the AWS credentials file")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return bad("endpoint", s.Endpoint, "must not have a path, query or fragment (put the bucket in bucket and key prefix in prefix)")
	}
	if err := validateBucket(s.Bucket); err != "" {
		return bad("bucket", s.Bucket, err)
	}
	if s.Prefix != "" {
		if strings.HasPrefix(s.Prefix, "/") || !strings.HasSuffix(s.Prefix, "/") {
			return bad("prefix", s.Prefix, `must not start with "/" and must end with "/" (e.g. "canic/prod/")`)
		}
		if err := ValidateKey(strings.TrimSuffix(s.Prefix, "/")); err != nil {
			return bad("prefix", s.Prefix, err.(*KeyError).Reason)
		}
	}
	if s.PartSizeMiB != 0 && (s.PartSizeMiB < 5 || s.PartSizeMiB > 5120) {
		return bad("part_size_mib", fmt.Sprint(s.PartSizeMiB), "must be between 5 and 5120")
	}
	return nil
}

func validateBucket(b string) string {
	if len(b) < 3 || len(b) > 63 {
		return "required, 3 to 63 characters"
	}
	for i, r := range b {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' || r == '.') && i > 0 && i < len(b)-1
		if !ok {
			return "only lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
		}
	}
	return ""
}

// Describe names the store for messages: "dir:/abs/path" or
// "s3://bucket/prefix".
func (s Settings) Describe() string {
	if s.Kind == KindDir {
		if abs, err := filepath.Abs(s.Path); err == nil {
			return "dir:" + abs
		}
		return "dir:" + s.Path
	}
	return "s3://" + s.Bucket + "/" + s.Prefix
}
