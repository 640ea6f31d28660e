package pluginapi

import (
	"context"
	"fmt"
	"runtime/debug"

	pb "github.com/canic-backup/canic-backup/pluginapi/proto"
)

// grpcServer serves an Executor implementation over the Executor gRPC
// service. A panic in the implementation becomes CodeInternal instead of
// killing the plugin process.
type grpcServer struct {
	pb.UnimplementedExecutorServer
	impl Executor
}

// recoverInto converts a panic into an internal error assigned to *err.
func recoverInto(method string, err *error) {
	if r := recover(); r != nil {
		*err = toStatus(Errorf(CodeInternal, "plugin panicked in %s: %v\n%s", method, r, debug.Stack()))
	}
}

func (s *grpcServer) Info(ctx context.Context, _ *pb.InfoRequest) (resp *pb.InfoResponse, err error) {
	defer recoverInto("Info", &err)
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.InfoResponse{
		Name: info.Name, Version: info.Version,
		ProtocolVersion: int32(info.ProtocolVersion), Capabilities: info.Capabilities,
	}, nil
}

func (s *grpcServer) Preflight(ctx context.Context, req *pb.PreflightRequest) (resp *pb.PreflightResponse, err error) {
	defer recoverInto("Preflight", &err)
	rep, err := s.impl.Preflight(ctx, PreflightRequest{
		Network: req.GetNetwork(), Root: req.GetRootCanisterId(), CanisterIDs: req.GetCanisterIds(),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	resp = &pb.PreflightResponse{Identity: rep.Identity}
	for _, t := range rep.Targets {
		resp.Targets = append(resp.Targets, &pb.PreflightTarget{
			CanisterId: t.CanisterID, Status: string(t.Status), Controllers: t.Controllers,
			IdentityIsController: t.IdentityIsController, RootIsController: t.RootIsController,
			ModuleHash: t.ModuleHash, Error: errorToPB(t.Err), Detail: statusToPB(t.Detail),
		})
	}
	return resp, nil
}

func (s *grpcServer) QueryRegistry(ctx context.Context, req *pb.QueryRegistryRequest) (resp *pb.QueryRegistryResponse, err error) {
	defer recoverInto("QueryRegistry", &err)
	if req.GetRootCanisterId() == "" {
		return nil, toStatus(Errorf(CodeInvalidArgument, "QueryRegistry request has no root_canister_id"))
	}
	entries, err := s.impl.QueryRegistry(ctx, req.GetNetwork(), req.GetRootCanisterId())
	if err != nil {
		return nil, toStatus(err)
	}
	resp = &pb.QueryRegistryResponse{}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, &pb.RegistryEntry{
			Pid: e.PID, Role: e.Role, ParentPid: e.ParentPID, ModuleHash: e.ModuleHash, CreatedAt: e.CreatedAt,
		})
	}
	return resp, nil
}

func (s *grpcServer) CanisterStatus(ctx context.Context, req *pb.TargetRequest) (resp *pb.CanisterStatusResponse, err error) {
	defer recoverInto("CanisterStatus", &err)
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return nil, toStatus(err)
	}
	st, err := s.impl.CanisterStatus(ctx, t)
	if err != nil {
		return nil, toStatus(err)
	}
	return statusToPB(&st), nil
}

func (s *grpcServer) StopCanister(ctx context.Context, req *pb.TargetRequest) (resp *pb.Empty, err error) {
	defer recoverInto("StopCanister", &err)
	return s.targetCall(ctx, req.GetTarget(), s.impl.StopCanister)
}

func (s *grpcServer) StartCanister(ctx context.Context, req *pb.TargetRequest) (resp *pb.Empty, err error) {
	defer recoverInto("StartCanister", &err)
	return s.targetCall(ctx, req.GetTarget(), s.impl.StartCanister)
}

func (s *grpcServer) targetCall(ctx context.Context, target *pb.Target, f func(context.Context, Target) error) (*pb.Empty, error) {
	t, err := targetFromPB(target)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := f(ctx, t); err != nil {
		return nil, toStatus(err)
	}
	return &pb.Empty{}, nil
}

func (s *grpcServer) CreateSnapshot(ctx context.Context, req *pb.TargetRequest) (resp *pb.Snapshot, err error) {
	defer recoverInto("CreateSnapshot", &err)
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return nil, toStatus(err)
	}
	snap, err := s.impl.CreateSnapshot(ctx, t)
	if err != nil {
		return nil, toStatus(err)
	}
	return snapshotToPB(snap), nil
}

func (s *grpcServer) ListSnapshots(ctx context.Context, req *pb.TargetRequest) (resp *pb.ListSnapshotsResponse, err error) {
	defer recoverInto("ListSnapshots", &err)
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return nil, toStatus(err)
	}
	snaps, err := s.impl.ListSnapshots(ctx, t)
	if err != nil {
		return nil, toStatus(err)
	}
	resp = &pb.ListSnapshotsResponse{}
	for _, sn := range snaps {
		resp.Snapshots = append(resp.Snapshots, snapshotToPB(sn))
	}
	return resp, nil
}

func (s *grpcServer) snapshotCall(ctx context.Context, req *pb.SnapshotRequest, f func(context.Context, Target, string) error) (*pb.Empty, error) {
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetSnapshotId() == "" {
		return nil, toStatus(Errorf(CodeInvalidArgument, "request for %s has no snapshot_id", t))
	}
	if err := f(ctx, t, req.GetSnapshotId()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.Empty{}, nil
}

func (s *grpcServer) DeleteSnapshot(ctx context.Context, req *pb.SnapshotRequest) (resp *pb.Empty, err error) {
	defer recoverInto("DeleteSnapshot", &err)
	return s.snapshotCall(ctx, req, s.impl.DeleteSnapshot)
}

func (s *grpcServer) LoadSnapshot(ctx context.Context, req *pb.SnapshotRequest) (resp *pb.Empty, err error) {
	defer recoverInto("LoadSnapshot", &err)
	return s.snapshotCall(ctx, req, s.impl.LoadSnapshot)
}

func (s *grpcServer) DownloadSnapshot(req *pb.DownloadRequest, stream pb.Executor_DownloadSnapshotServer) (err error) {
	defer recoverInto("DownloadSnapshot", &err)
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return toStatus(err)
	}
	if req.GetSnapshotId() == "" || req.GetDir() == "" {
		return toStatus(Errorf(CodeInvalidArgument, "DownloadSnapshot request for %s needs snapshot_id and dir (got %q, %q)",
			t, req.GetSnapshotId(), req.GetDir()))
	}
	res, err := s.impl.DownloadSnapshot(stream.Context(), t, req.GetSnapshotId(), req.GetDir(), sender(stream))
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(resultToPB(res)); err != nil {
		return fmt.Errorf("send DownloadSnapshot result: %w", err)
	}
	return nil
}

func (s *grpcServer) UploadSnapshot(req *pb.UploadRequest, stream pb.Executor_UploadSnapshotServer) (err error) {
	defer recoverInto("UploadSnapshot", &err)
	t, err := targetFromPB(req.GetTarget())
	if err != nil {
		return toStatus(err)
	}
	if req.GetDir() == "" {
		return toStatus(Errorf(CodeInvalidArgument, "UploadSnapshot request for %s has no dir", t))
	}
	res, err := s.impl.UploadSnapshot(stream.Context(), t, req.GetDir(), sender(stream))
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(resultToPB(res)); err != nil {
		return fmt.Errorf("send UploadSnapshot result: %w", err)
	}
	return nil
}

// sender turns a server stream into a ProgressFunc. A failed send means the
// host went away; the stream's context is then cancelled, which the
// implementation observes.
func sender(stream interface{ Send(*pb.TransferEvent) error }) ProgressFunc {
	return func(p Progress) { _ = stream.Send(progressToPB(p)) }
}
