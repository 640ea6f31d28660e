package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/store"
)

// rawFile is the document's top level; executor tables are decoded later,
// once their driver is known.
type rawFile struct {
	Version            *int                      `toml:"version"`
	DefaultEnvironment string                    `toml:"default_environment"`
	Environments       map[string]rawEnvironment `toml:"environments"`
	Executors          map[string]toml.Primitive `toml:"executors"`
	Stores             map[string]store.Settings `toml:"stores"`
}

type rawEnvironment struct {
	Network  string `toml:"network"`
	Root     string `toml:"root"`
	Executor string `toml:"executor"`
	Fleet    string `toml:"fleet"`
	Store    string `toml:"store"`
}

type rawDriver struct {
	Driver string `toml:"driver"`
}

// LoadFile reads and validates the config file at path. drivers describes
// the built-in drivers' settings; an executor naming another driver (other
// than "plugin") is an error.
func LoadFile(path string, drivers Drivers) (*Config, error) {
	data, err := layout.ReadDocument(path, layout.MaxConfigSize)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Load(path, data, drivers)
}

// Load parses and validates data, the content of the config file at path
// (used in messages and to resolve relative paths).
func Load(path string, data []byte, drivers Drivers) (*Config, error) {
	l := loader{path: path, lines: keyLines(string(data)), drivers: drivers}
	var raw rawFile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, l.decodeError(err)
	}
	l.md = md
	cfg := &Config{Path: path, Environments: map[string]Environment{}, Executors: map[string]Executor{},
		Stores: map[string]store.Settings{}, StoreLines: map[string]int{}}
	if raw.Version == nil {
		return nil, l.errorf([]string{"version"}, "is missing; add `version = %d` at the top", Version)
	}
	if *raw.Version != Version {
		return nil, l.errorf([]string{"version"}, "is %d; this canic-backup reads version %d", *raw.Version, Version)
	}
	cfg.Version = *raw.Version

	var errs []error
	failed := map[string]bool{}
	for _, name := range sortedKeys(raw.Executors) {
		ex, err := l.executor(name, raw.Executors[name])
		if err != nil {
			errs = append(errs, err)
			failed[name] = true
			continue
		}
		cfg.Executors[name] = ex
	}
	// Unknown keys are reported first (a misspelt key explains a missing
	// value); the keys of an executor that failed to decode are not.
	if undecoded := l.undecoded(failed); len(undecoded) > 0 {
		return nil, errors.Join(append(undecoded, errs...)...)
	}
	for _, name := range sortedKeys(raw.Stores) {
		st, err := l.store(name, raw.Stores[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.Stores[name] = st
		cfg.StoreLines[name] = lineOf(l.lines, []string{"stores", name})
	}
	for _, name := range sortedKeys(raw.Environments) {
		env, err := l.environment(name, raw.Environments[name], raw.Executors, raw.Stores)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.Environments[name] = env
	}
	if d := raw.DefaultEnvironment; d != "" {
		if _, ok := raw.Environments[d]; !ok {
			errs = append(errs, l.errorf([]string{"default_environment"}, "%q is not an [environments.%s] table (have: %s)",
				d, d, strings.Join(sortedKeys(raw.Environments), ", ")))
		}
		cfg.DefaultEnvironment = d
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

type loader struct {
	path    string
	lines   map[string]int
	md      toml.MetaData
	drivers Drivers
}

func (l *loader) baseDir() string { return filepath.Dir(l.path) }

// errorf builds an *Error at key.
func (l *loader) errorf(key []string, format string, args ...any) error {
	return &Error{File: l.path, Line: lineOf(l.lines, key), Key: toml.Key(key).String(), Msg: fmt.Sprintf(format, args...)}
}

// typeErrRe matches BurntSushi/toml's decode errors that carry a line.
var typeErrRe = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeError turns a toml syntax or type error into an *Error.
func (l *loader) decodeError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: l.path, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
	}
	if m := typeErrRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Error{File: l.path, Line: n, Key: m[2], Msg: m[3]}
	}
	return &Error{File: l.path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// undecoded reports every key no struct field took.
func (l *loader) undecoded(failed map[string]bool) []error {
	var errs []error
	var reported []string
	for _, k := range l.md.Undecoded() {
		if len(k) >= 2 && k[0] == "executors" && failed[k[1]] {
			continue
		}
		// Report an unknown table once, not once per key inside it.
		s := k.String()
		inside := false
		for _, r := range reported {
			if strings.HasPrefix(s, r+".") {
				inside = true
			}
		}
		if inside {
			continue
		}
		reported = append(reported, s)
		errs = append(errs, l.errorf(k, "unknown key%s", l.hint(k)))
	}
	return errs
}

// hint suggests where a key belongs.
func (l *loader) hint(k toml.Key) string {
	if len(k) == 3 && k[0] == "executors" {
		return " for this executor's driver"
	}
	if len(k) == 3 && k[0] == "environments" {
		return " (an environment has network, root, executor, fleet, store)"
	}
	if len(k) == 3 && k[0] == "stores" {
		return " (a store has kind, path, endpoint, bucket, prefix, region, path_style, profile, part_size_mib; credentials come from the environment or the AWS credentials file, never the config)"
	}
	if len(k) == 1 {
		return " (the top level has version, default_environment, [environments.NAME], [executors.NAME], [stores.NAME])"
	}
	return ""
}

func (l *loader) executor(name string, prim toml.Primitive) (Executor, error) {
	key := []string{"executors", name}
	ex := Executor{Name: name, Line: lineOf(l.lines, key)}
	var d rawDriver
	if err := l.md.PrimitiveDecode(prim, &d); err != nil {
		return ex, l.decodeError(err)
	}
	ex.Driver = d.Driver
	switch d.Driver {
	case "":
		return ex, l.errorf(append(key, "driver"), "is missing; set driver = %s", l.driverList())
	case DriverPlugin:
		var ps PluginSettings
		if err := l.md.PrimitiveDecode(prim, &ps); err != nil {
			return ex, l.decodeError(err)
		}
		if err := l.checkPlugin(key, &ps); err != nil {
			return ex, err
		}
		ex.Plugin = &ps
		return ex, nil
	}
	spec, ok := l.drivers[d.Driver]
	if !ok || spec.NewSettings == nil {
		return ex, l.errorf(append(key, "driver"), "%q is not a driver; use %s", d.Driver, l.driverList())
	}
	settings := spec.NewSettings()
	if err := l.md.PrimitiveDecode(prim, settings); err != nil {
		return ex, l.decodeError(err)
	}
	if spec.Prepare != nil {
		if err := spec.Prepare(settings, l.baseDir()); err != nil {
			return ex, l.settingsError(key, err)
		}
	}
	ex.Settings = settings
	return ex, nil
}

// fieldRe finds the settings key a driver's validation error names
// ("...: identity_pem = ..." or "... setting url = ...").
var fieldRe = regexp.MustCompile(`(?:^|: |setting )([a-z_]+) = `)

// settingsError places a driver's validation error at the key it names.
func (l *loader) settingsError(key []string, err error) error {
	k := key
	if m := fieldRe.FindStringSubmatch(err.Error()); m != nil {
		k = append(append([]string{}, key...), m[1])
	}
	return &Error{File: l.path, Line: lineOf(l.lines, k), Key: toml.Key(key).String(), Msg: err.Error()}
}

func (l *loader) driverList() string {
	names := []string{}
	for n := range l.drivers {
		names = append(names, strconv.Quote(n))
	}
	sort.Strings(names)
	return strings.Join(append(names, strconv.Quote(DriverPlugin)), " | ")
}

func (l *loader) checkPlugin(key []string, ps *PluginSettings) error {
	at := func(k string) []string { return append(append([]string{}, key...), k) }
	if ps.Path == "" {
		return l.errorf(at("path"), "is missing; name the plugin executable")
	}
	if !filepath.IsAbs(ps.Path) && strings.ContainsRune(ps.Path, filepath.Separator) {
		ps.Path = filepath.Join(l.baseDir(), ps.Path)
	}
	if ps.SHA256 != "" {
		ps.SHA256 = strings.ToLower(ps.SHA256)
		if b, err := hex.DecodeString(ps.SHA256); err != nil || len(b) != 32 {
			return l.errorf(at("sha256"), "%q is not 64 hex digits", ps.SHA256)
		}
	}
	if ps.MaxRestarts < 0 {
		return l.errorf(at("max_restarts"), "%d must not be negative", ps.MaxRestarts)
	}
	if ps.StartTimeout < 0 {
		return l.errorf(at("start_timeout"), "must not be negative")
	}
	for k := range ps.Env {
		if k == "" || strings.ContainsAny(k, "= \t\n") {
			return l.errorf(at("env"), "%q is not an environment variable name", k)
		}
	}
	return nil
}

// store validates the [stores.NAME] table and resolves a relative dir path
// against the config file's directory. An invalid setting is an *Error at
// the setting's line wrapping the *store.SettingsError.
func (l *loader) store(name string, st store.Settings) (store.Settings, error) {
	if err := st.Validate(name); err != nil {
		var se *store.SettingsError
		if errors.As(err, &se) {
			key := []string{"stores", name, se.Field}
			return st, &Error{File: l.path, Line: lineOf(l.lines, key), Key: toml.Key(key).String(),
				Msg: fmt.Sprintf("%q: %s", se.Value, se.Reason), Err: err}
		}
		return st, &Error{File: l.path, Line: lineOf(l.lines, []string{"stores", name}), Key: "stores." + name, Msg: err.Error(), Err: err}
	}
	if st.Kind == store.KindDir && !filepath.IsAbs(st.Path) {
		st.Path = filepath.Join(l.baseDir(), st.Path)
	}
	return st, nil
}

func (l *loader) environment(name string, raw rawEnvironment, executors map[string]toml.Primitive, stores map[string]store.Settings) (Environment, error) {
	key := []string{"environments", name}
	at := func(k string) []string { return append(append([]string{}, key...), k) }
	env := Environment{Name: name, Network: raw.Network, Root: raw.Root, Executor: raw.Executor, Fleet: raw.Fleet,
		Store: raw.Store, Line: lineOf(l.lines, key)}
	if env.Network == "" {
		env.Network = "local"
	}
	if env.Fleet == "" {
		env.Fleet = name
	}
	if env.Root == "" {
		return env, l.errorf(at("root"), "is missing; set the fleet's root canister id")
	}
	if _, err := principal.Parse(env.Root); err != nil {
		return env, l.errorf(at("root"), "%q is not a principal: %v", env.Root, err)
	}
	if env.Executor == "" {
		return env, l.errorf(at("executor"), "is missing; name an [executors.NAME] table")
	}
	if _, ok := executors[env.Executor]; !ok {
		return env, l.errorf(at("executor"), "%q is not an [executors.%s] table (have: %s)",
			env.Executor, env.Executor, strings.Join(sortedKeys(executors), ", "))
	}
	if env.Store != "" {
		if _, ok := stores[env.Store]; !ok {
			have := strings.Join(sortedKeys(stores), ", ")
			if have == "" {
				have = "none"
			}
			return env, l.errorf(at("store"), "%q is not a [stores.%s] table (have: %s)", env.Store, env.Store, have)
		}
	}
	return env, nil
}
