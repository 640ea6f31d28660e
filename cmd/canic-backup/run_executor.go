package main

import (
	"context"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/host"
)

// executorSpec says which executor `backup run` drives.
type executorSpec struct {
	// Plugin is the executor plugin binary.
	Plugin string
	// SHA256 pins the plugin binary's digest when set.
	SHA256 string
	// Network is the plan's network.
	Network string
}

// openExecutor starts the executor of spec and returns it with its closer.
type openExecutor func(ctx context.Context, spec executorSpec) (runner.Executor, func() error, error)

// openPlugin launches spec.Plugin through pluginapi and adapts it.
func openPlugin(ctx context.Context, spec executorSpec) (runner.Executor, func() error, error) {
	a, closeFn, err := host.OpenPath(ctx, spec.Plugin, spec.SHA256, spec.Network)
	if err != nil {
		return nil, nil, err
	}
	return a, closeFn, nil
}

// pluginExecutor is the host adapter a backup run drives.
type pluginExecutor = host.Adapter

// newPluginExecutor adapts a started executor for a backup on network.
func newPluginExecutor(client *pluginapi.Client, network string) *pluginExecutor {
	return host.New(client, client.Name(), network)
}

// optional is nil for "", else &s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
