package host

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// builtinDriver is a driver compiled into canic-backup: how config decodes
// and checks its settings, and how the plugin process builds it.
type builtinDriver struct {
	// newSettings returns a pointer to zero settings (toml tags).
	newSettings func() any
	// prepare resolves relative paths against baseDir, applies defaults
	// and validates.
	prepare func(settings any, baseDir string) error
	// open builds the executor from prepared settings; close releases it.
	open func(ctx context.Context, settings any, log hclog.Logger) (ex pluginapi.Executor, close func() error, err error)
}

// builtinDriverTable lists the drivers compiled into canic-backup.
func builtinDriverTable() map[string]builtinDriver {
	return map[string]builtinDriver{
		config.DriverAgent: {
			newSettings: func() any { return &agent.Settings{} },
			prepare: func(v any, base string) error {
				s := v.(*agent.Settings)
				s.IdentityPEM = resolvePath(base, s.IdentityPEM)
				*s = s.WithDefaults()
				return s.Validate()
			},
			open: func(ctx context.Context, v any, log hclog.Logger) (pluginapi.Executor, func() error, error) {
				ex, err := agent.New(ctx, *v.(*agent.Settings), log)
				if err != nil {
					return nil, nil, err
				}
				return ex, func() error { return nil }, nil
			},
		},
		config.DriverDFX: {
			newSettings: func() any { return &dfx.Settings{} },
			prepare: func(v any, base string) error {
				s := v.(*dfx.Settings)
				s.IdentityPEM = resolvePath(base, s.IdentityPEM)
				s.ProjectDir = resolvePath(base, s.ProjectDir)
				if strings.ContainsRune(s.Binary, filepath.Separator) {
					s.Binary = resolvePath(base, s.Binary)
				}
				*s = s.WithDefaults()
				return s.Validate()
			},
			open: func(ctx context.Context, v any, log hclog.Logger) (pluginapi.Executor, func() error, error) {
				ex, err := dfx.New(ctx, *v.(*dfx.Settings), log)
				if err != nil {
					return nil, nil, err
				}
				return ex, ex.Close, nil
			},
		},
	}
}

// Drivers is the built-in drivers' table for config.Load.
func Drivers() config.Drivers {
	out := config.Drivers{}
	for name, d := range builtinDriverTable() {
		out[name] = config.DriverSpec{NewSettings: d.newSettings, Prepare: d.prepare}
	}
	return out
}

// DriverNames lists the built-in drivers, sorted.
func DriverNames() []string {
	var out []string
	for name := range builtinDriverTable() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// resolvePath makes a relative path absolute against base; "" stays "".
func resolvePath(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	abs, err := filepath.Abs(filepath.Join(base, p))
	if err != nil {
		return filepath.Join(base, p)
	}
	return abs
}

// ServeBuiltin serves the built-in driver named driver as a plugin over the
// same go-plugin boundary as an external plugin (as `velero run-plugins`
// does): settingsText is the TOML the host passed in $EnvDriverSettings,
// label names the executor in the log, logLevel is $EnvLogLevel. It returns
// when the host ends the plugin.
func ServeBuiltin(ctx context.Context, driver, label, settingsText, logLevel string) error {
	d, ok := builtinDriverTable()[driver]
	if !ok {
		return fmt.Errorf("plugin-serve: %q is not a built-in driver (have: %s)", driver, strings.Join(DriverNames(), ", "))
	}
	settings, err := decodeDriverSettings(driver, d, settingsText)
	if err != nil {
		return err
	}
	if label == "" {
		label = driver
	}
	logger := pluginapi.NewPluginLogger(label)
	if logLevel != "" {
		if l := hclog.LevelFromString(logLevel); l != hclog.NoLevel {
			logger.SetLevel(l)
		}
	}
	ex, closeEx, err := d.open(ctx, settings, logger)
	if err != nil {
		return fmt.Errorf("driver %s: %w", driver, err)
	}
	// The executor's private files (the icp driver's imported key) go on
	// every way out: a normal return, and the host's death or SIGTERM,
	// which end in os.Exit. A kill -9 is swept by the next start.
	var once sync.Once
	cleanup := func() { once.Do(func() { _ = closeEx() }) }
	defer cleanup()
	pluginapi.ServeWith(ex, pluginapi.ServeOptions{Logger: logger, Cleanup: cleanup})
	return nil
}

// decodeDriverSettings strictly decodes the settings the host passed.
func decodeDriverSettings(name string, d builtinDriver, text string) (any, error) {
	settings := d.newSettings()
	md, err := toml.Decode(text, settings)
	if err != nil {
		return nil, fmt.Errorf("driver %s: settings from $%s: %w", name, EnvDriverSettings, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("driver %s: settings from $%s: unknown key %s", name, EnvDriverSettings, u[0])
	}
	if err := d.prepare(settings, "."); err != nil {
		return nil, fmt.Errorf("driver %s: %w", name, err)
	}
	return settings, nil
}
