package pluginapi

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/canic-backup/canic-backup/pluginapi/proto"
)

// grpcPlugin is the go-plugin glue: it registers an Executor on the plugin's
// gRPC server and builds the host's stub. net/rpc is refused.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Executor
	name string
}

var _ plugin.GRPCPlugin = (*grpcPlugin)(nil)

// GRPCServer registers the implementation (plugin side).
func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterExecutorServer(s, &grpcServer{impl: p.impl})
	return nil
}

// GRPCClient returns the stub (host side).
func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &grpcClient{name: p.name, rpc: pb.NewExecutorClient(conn)}, nil
}
