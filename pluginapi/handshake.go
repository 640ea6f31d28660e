package pluginapi

import (
	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the executor plugin protocol version this package
// speaks (gRPC package canic.backup.executor.v1). It is negotiated at the
// go-plugin handshake; a plugin of another version fails with a
// *ProtocolError naming both.
const ProtocolVersion = 1

// The go-plugin handshake cookie. It only guards against running a plugin
// binary by hand (the plugin then prints a friendly message) and must never
// change.
const (
	MagicCookieKey   = "CANIC_BACKUP_PLUGIN"
	MagicCookieValue = "executor-d2b1f0f6"
)

// pluginName is the key of the executor in the go-plugin plugin set.
const pluginName = "executor"

// handshake returns the go-plugin handshake configuration. The protocol
// version itself is negotiated through VersionedPlugins.
func handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		MagicCookieKey:   MagicCookieKey,
		MagicCookieValue: MagicCookieValue,
	}
}

// versionedPlugins is the plugin set served (impl set) or accepted (name
// set) at protocol version v.
func versionedPlugins(v int, impl Executor, name string) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		v: {pluginName: &grpcPlugin{impl: impl, name: name}},
	}
}
