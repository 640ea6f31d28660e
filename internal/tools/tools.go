//go:build tools

// Package tools pins module dependencies that the project's packages grow into,
// so that parallel work does not race on go.mod.
package tools

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/aviate-labs/agent-go/candid/idl"
	_ "github.com/aviate-labs/agent-go/identity"
	_ "github.com/aviate-labs/agent-go/principal"
	_ "github.com/fxamacker/cbor/v2"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/stretchr/testify/require"
	_ "github.com/urfave/cli/v2"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
)
