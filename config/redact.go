package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/canic-backup/canic-backup/core/store"
)

// Redacted replaces a secret value in Render's output.
const Redacted = "<redacted>"

// secretKeyRe matches the names of keys and environment variables whose
// values are secrets. Identity PEM paths are not secrets (the files are).
var secretKeyRe = regexp.MustCompile(`(?i)(token|passw|secret|credential|api[_-]?key|auth|cookie|private[_-]?key|seed|mnemonic|session)`)

// IsSecretKey reports whether values of a key (or an environment variable)
// with this name are redacted.
func IsSecretKey(name string) bool { return secretKeyRe.MatchString(name) }

// redact replaces secret values in v (decoded TOML) in place: values of
// secret-looking keys and any string holding PEM or key material.
func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if IsSecretKey(k) {
				x[k] = Redacted
				continue
			}
			x[k] = redact(val)
		}
		return x
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
		return x
	case []map[string]any:
		for i := range x {
			redact(x[i])
		}
		return x
	case string:
		if strings.Contains(x, "-----BEGIN") || strings.Contains(x, "PRIVATE KEY") {
			return Redacted
		}
		return x
	}
	return v
}

// DefaultEngineConcurrency is how many operations of a phase the engine
// runs at once when neither --concurrency nor the executor's concurrency
// key says otherwise.
const DefaultEngineConcurrency = 8

// SettingsMap renders an executor's settings (with driver) as a TOML
// table, secrets redacted.
func (e Executor) SettingsMap() (map[string]any, error) {
	var src any = e.Settings
	if e.Plugin != nil {
		src = e.Plugin
	}
	out := map[string]any{}
	if src != nil {
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(src); err != nil {
			return nil, fmt.Errorf("executor %s: encode settings: %w", e.Name, err)
		}
		if _, err := toml.Decode(buf.String(), &out); err != nil {
			return nil, fmt.Errorf("executor %s: re-read settings: %w", e.Name, err)
		}
	}
	out["driver"] = e.Driver
	// A zero engine concurrency means the engine's default: show it.
	if ec, ok := src.(interface{ EngineConcurrency() int }); ok && ec.EngineConcurrency() == 0 {
		out["concurrency"] = int64(DefaultEngineConcurrency)
	}
	return redact(out).(map[string]any), nil
}

// StoreMap renders a store's settings as a TOML table: kind and every key
// that is set, part_size_mib with its default filled in for S3. A store's
// settings hold no credentials (they come from the environment or the AWS
// credentials file, and an endpoint with user info is refused by
// validation); secret-looking values are redacted all the same.
func StoreMap(s store.Settings) map[string]any {
	out := map[string]any{"kind": string(s.Kind)}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("path", s.Path)
	set("endpoint", s.Endpoint)
	set("bucket", s.Bucket)
	set("prefix", s.Prefix)
	set("region", s.Region)
	set("profile", s.Profile)
	if s.Kind == store.KindS3 {
		out["path_style"] = s.PathStyle
		out["part_size_mib"] = int(s.PartSize() >> 20)
	}
	return redact(out).(map[string]any)
}

// Render returns the effective configuration as TOML, with every secret
// redacted: the selected environment only when env is non-nil (and the
// executor and store it uses), else everything. Defaults are filled in.
func (c *Config) Render(env *Environment) ([]byte, error) {
	doc := map[string]any{"version": c.Version}
	if c.DefaultEnvironment != "" {
		doc["default_environment"] = c.DefaultEnvironment
	}
	envs := map[string]any{}
	exes := map[string]any{}
	for _, n := range c.EnvironmentNames() {
		e := c.Environments[n]
		if env != nil && n != env.Name {
			continue
		}
		m := map[string]any{"network": e.Network, "root": e.Root, "executor": e.Executor, "fleet": e.Fleet}
		if e.Store != "" {
			m["store"] = e.Store
		}
		envs[n] = m
	}
	stores := map[string]any{}
	for _, n := range c.StoreNames() {
		if env != nil && n != env.Store {
			continue
		}
		stores[n] = StoreMap(c.Stores[n])
	}
	for _, n := range c.ExecutorNames() {
		if env != nil && n != env.Executor {
			continue
		}
		m, err := c.Executors[n].SettingsMap()
		if err != nil {
			return nil, err
		}
		exes[n] = m
	}
	if len(envs) > 0 {
		doc["environments"] = envs
	}
	if len(exes) > 0 {
		doc["executors"] = exes
	}
	if len(stores) > 0 {
		doc["stores"] = stores
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	return buf.Bytes(), nil
}
