package pluginapi

import (
	"context"
	"errors"
	"io"

	pb "github.com/canic-backup/canic-backup/pluginapi/proto"
)

// grpcClient is the host-side Executor that calls a plugin over gRPC. It
// translates gRPC statuses back into *Error; process death is detected one
// level up, by the restartable client.
type grpcClient struct {
	name string
	rpc  pb.ExecutorClient
}

var _ Executor = (*grpcClient)(nil)

func (c *grpcClient) err(ctx context.Context, err error) error { return fromStatus(ctx, c.name, err) }

func (c *grpcClient) Info(ctx context.Context) (Info, error) {
	r, err := c.rpc.Info(ctx, &pb.InfoRequest{})
	if err != nil {
		return Info{}, c.err(ctx, err)
	}
	return Info{
		Name: r.GetName(), Version: r.GetVersion(),
		ProtocolVersion: int(r.GetProtocolVersion()), Capabilities: nonNil(r.GetCapabilities()),
	}, nil
}

func (c *grpcClient) Preflight(ctx context.Context, req PreflightRequest) (PreflightReport, error) {
	r, err := c.rpc.Preflight(ctx, &pb.PreflightRequest{
		Network: req.Network, RootCanisterId: req.Root, CanisterIds: req.CanisterIDs,
	})
	if err != nil {
		return PreflightReport{}, c.err(ctx, err)
	}
	rep := PreflightReport{Identity: r.GetIdentity(), Targets: []PreflightTarget{}}
	for _, t := range r.GetTargets() {
		rep.Targets = append(rep.Targets, PreflightTarget{
			CanisterID: t.GetCanisterId(), Status: RunStatus(t.GetStatus()), Controllers: nonNil(t.GetControllers()),
			IdentityIsController: t.GetIdentityIsController(), RootIsController: t.GetRootIsController(),
			ModuleHash: t.GetModuleHash(), Err: errorFromPB(t.GetError(), c.name), Detail: statusFromPB(t.GetDetail()),
		})
	}
	return rep, nil
}

func (c *grpcClient) QueryRegistry(ctx context.Context, network, root string) ([]RegistryEntry, error) {
	r, err := c.rpc.QueryRegistry(ctx, &pb.QueryRegistryRequest{Network: network, RootCanisterId: root})
	if err != nil {
		return nil, c.err(ctx, err)
	}
	out := []RegistryEntry{}
	for _, e := range r.GetEntries() {
		out = append(out, RegistryEntry{
			PID: e.GetPid(), Role: e.GetRole(), ParentPID: e.GetParentPid(), ModuleHash: e.GetModuleHash(), CreatedAt: e.GetCreatedAt(),
		})
	}
	return out, nil
}

func (c *grpcClient) CanisterStatus(ctx context.Context, t Target) (CanisterStatus, error) {
	r, err := c.rpc.CanisterStatus(ctx, &pb.TargetRequest{Target: targetToPB(t)})
	if err != nil {
		return CanisterStatus{}, c.err(ctx, err)
	}
	return *statusFromPB(r), nil
}

func (c *grpcClient) StopCanister(ctx context.Context, t Target) error {
	_, err := c.rpc.StopCanister(ctx, &pb.TargetRequest{Target: targetToPB(t)})
	return c.err(ctx, err)
}

func (c *grpcClient) StartCanister(ctx context.Context, t Target) error {
	_, err := c.rpc.StartCanister(ctx, &pb.TargetRequest{Target: targetToPB(t)})
	return c.err(ctx, err)
}

func (c *grpcClient) CreateSnapshot(ctx context.Context, t Target) (SnapshotInfo, error) {
	r, err := c.rpc.CreateSnapshot(ctx, &pb.TargetRequest{Target: targetToPB(t)})
	if err != nil {
		return SnapshotInfo{}, c.err(ctx, err)
	}
	return snapshotFromPB(r), nil
}

func (c *grpcClient) ListSnapshots(ctx context.Context, t Target) ([]SnapshotInfo, error) {
	r, err := c.rpc.ListSnapshots(ctx, &pb.TargetRequest{Target: targetToPB(t)})
	if err != nil {
		return nil, c.err(ctx, err)
	}
	out := []SnapshotInfo{}
	for _, s := range r.GetSnapshots() {
		out = append(out, snapshotFromPB(s))
	}
	return out, nil
}

func (c *grpcClient) DeleteSnapshot(ctx context.Context, t Target, id string) error {
	_, err := c.rpc.DeleteSnapshot(ctx, &pb.SnapshotRequest{Target: targetToPB(t), SnapshotId: id})
	return c.err(ctx, err)
}

func (c *grpcClient) LoadSnapshot(ctx context.Context, t Target, id string) error {
	_, err := c.rpc.LoadSnapshot(ctx, &pb.SnapshotRequest{Target: targetToPB(t), SnapshotId: id})
	return c.err(ctx, err)
}

func (c *grpcClient) DownloadSnapshot(ctx context.Context, t Target, id, dir string, progress ProgressFunc) (TransferResult, error) {
	stream, err := c.rpc.DownloadSnapshot(ctx, &pb.DownloadRequest{Target: targetToPB(t), SnapshotId: id, Dir: dir})
	if err != nil {
		return TransferResult{}, c.err(ctx, err)
	}
	return c.receive(ctx, "DownloadSnapshot", stream, progress)
}

func (c *grpcClient) UploadSnapshot(ctx context.Context, t Target, dir string, progress ProgressFunc) (TransferResult, error) {
	stream, err := c.rpc.UploadSnapshot(ctx, &pb.UploadRequest{Target: targetToPB(t), Dir: dir})
	if err != nil {
		return TransferResult{}, c.err(ctx, err)
	}
	return c.receive(ctx, "UploadSnapshot", stream, progress)
}

// receive drains a transfer stream: progress events go to progress, the
// result event ends it.
func (c *grpcClient) receive(ctx context.Context, method string, stream interface {
	Recv() (*pb.TransferEvent, error)
}, progress ProgressFunc) (TransferResult, error) {
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return TransferResult{}, &Error{Code: CodeInternal, Executor: c.name,
				Message: method + " stream ended without a result"}
		}
		if err != nil {
			return TransferResult{}, c.err(ctx, err)
		}
		switch e := ev.GetEvent().(type) {
		case *pb.TransferEvent_Progress:
			if progress != nil {
				p := e.Progress
				progress(Progress{BytesDone: p.GetBytesDone(), BytesTotal: p.GetBytesTotal(), File: p.GetFile()})
			}
		case *pb.TransferEvent_Result:
			return resultFromPB(e.Result), nil
		}
	}
}
