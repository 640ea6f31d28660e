package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

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

// pluginServeCommand is the hidden `plugin-serve --driver NAME`: the
// canic-backup binary re-executed by itself to serve a built-in driver over
// the same go-plugin boundary as an external plugin (as `velero
// run-plugins` does). Settings arrive in $CANIC_BACKUP_DRIVER_SETTINGS.
func pluginServeCommand(e env) *cli.Command {
	return &cli.Command{
		Name:   pluginServeCommandName,
		Usage:  "serve a built-in executor driver as a plugin (started by canic-backup itself)",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Usage: "built-in driver `NAME`"},
			&cli.StringFlag{Name: "name", Usage: "executor `NAME` for the log"},
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return pluginServe(c, e) },
	}
}

func pluginServe(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	name, err := requireFlag(c, "driver")
	if err != nil {
		return err
	}
	d, ok := builtinDriverTable()[name]
	if !ok {
		return fmt.Errorf("plugin-serve: %q is not a built-in driver (have: %s)", name, strings.Join(builtinDriverNames(), ", "))
	}
	settings, err := decodeDriverSettings(name, d, e.getenv(envDriverSettings))
	if err != nil {
		return err
	}
	label := c.String("name")
	if label == "" {
		label = name
	}
	logger := pluginapi.NewPluginLogger(label)
	if v := e.getenv(envLogLevel); v != "" {
		if l := hclog.LevelFromString(v); l != hclog.NoLevel {
			logger.SetLevel(l)
		}
	}
	ex, closeEx, err := d.open(c.Context, settings, logger)
	if err != nil {
		return fmt.Errorf("driver %s: %w", name, err)
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
		return nil, fmt.Errorf("driver %s: settings from $%s: %w", name, envDriverSettings, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("driver %s: settings from $%s: unknown key %s", name, envDriverSettings, u[0])
	}
	if err := d.prepare(settings, "."); err != nil {
		return nil, fmt.Errorf("driver %s: %w", name, err)
	}
	return settings, nil
}
