package main

import (
	"context"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/pluginapi"
)

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

// builtinDrivers is the built-in drivers' table for config.Load.
func builtinDrivers() config.Drivers {
	out := config.Drivers{}
	for name, d := range builtinDriverTable() {
		out[name] = config.DriverSpec{NewSettings: d.newSettings, Prepare: d.prepare}
	}
	return out
}

// builtinDriverNames lists the built-in drivers, sorted.
func builtinDriverNames() []string {
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
