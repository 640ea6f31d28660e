package pluginapi

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/canic-backup/canic-backup/pluginapi/proto"
)

// grpcCodes maps each protocol Code to the gRPC status code it travels as.
func grpcCode(c Code) codes.Code {
	switch c {
	case CodeNotFound:
		return codes.NotFound
	case CodeNotStopped:
		return codes.FailedPrecondition
	case CodeUnauthorized:
		return codes.PermissionDenied
	case CodeTransient:
		return codes.Unavailable
	case CodeRateLimited:
		return codes.ResourceExhausted
	case CodeCycles, CodeStopTimeout:
		return codes.FailedPrecondition
	case CodeUnknown:
		return codes.Unknown
	case CodeInvalidArgument:
		return codes.InvalidArgument
	default:
		return codes.Internal
	}
}

// codeFromGRPC classifies a gRPC status that carries no ErrorDetail.
func codeFromGRPC(c codes.Code) Code {
	switch c {
	case codes.NotFound:
		return CodeNotFound
	case codes.FailedPrecondition:
		return CodeNotStopped
	case codes.PermissionDenied, codes.Unauthenticated:
		return CodeUnauthorized
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded:
		return CodeTransient
	case codes.InvalidArgument, codes.OutOfRange:
		return CodeInvalidArgument
	default:
		return CodeInternal
	}
}

// toStatus turns an implementation's error into the gRPC status sent to the
// host: a cancelled context stays a cancellation, an *Error keeps its code
// and message in an ErrorDetail, anything else is CodeInternal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeOf(err), Message: err.Error()}
	}
	code := e.Code
	if !code.known() {
		code = CodeInternal
	}
	st := status.New(grpcCode(code), e.Message)
	if withDetail, derr := st.WithDetails(&pb.ErrorDetail{Code: string(code), Message: e.Message}); derr == nil {
		st = withDetail
	}
	return st.Err()
}

// fromStatus turns a gRPC error received by the host back into an *Error,
// or into an error wrapping ctx.Err() when the caller's context ended.
func fromStatus(ctx context.Context, executor string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("executor %q: %w", executor, ctxErr)
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Code: CodeInternal, Message: err.Error(), Executor: executor}
	}
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("executor %q: %s: %w", executor, st.Message(), context.Canceled)
	}
	for _, d := range st.Details() {
		if det, ok := d.(*pb.ErrorDetail); ok {
			code := Code(det.GetCode())
			if !code.known() {
				code = CodeInternal
			}
			return &Error{Code: code, Message: det.GetMessage(), Executor: executor}
		}
	}
	return &Error{Code: codeFromGRPC(st.Code()), Message: st.Message(), Executor: executor, transport: true}
}

func targetToPB(t Target) *pb.Target {
	return &pb.Target{Network: t.Network, CanisterId: t.CanisterID}
}

func targetFromPB(t *pb.Target) (Target, error) {
	if t == nil || t.GetCanisterId() == "" {
		return Target{}, Errorf(CodeInvalidArgument, "request has no target canister_id")
	}
	return Target{Network: t.GetNetwork(), CanisterID: t.GetCanisterId()}, nil
}

func snapshotToPB(s SnapshotInfo) *pb.Snapshot {
	return &pb.Snapshot{Id: s.ID, TakenAtTimestamp: s.TakenAtNanos, TotalSize: s.TotalSize}
}

func snapshotFromPB(s *pb.Snapshot) SnapshotInfo {
	return SnapshotInfo{ID: s.GetId(), TakenAtNanos: s.GetTakenAtTimestamp(), TotalSize: s.GetTotalSize()}
}

func errorToPB(e *Error) *pb.ErrorDetail {
	if e == nil {
		return nil
	}
	return &pb.ErrorDetail{Code: string(e.Code), Message: e.Message}
}

func errorFromPB(d *pb.ErrorDetail, executor string) *Error {
	if d == nil {
		return nil
	}
	code := Code(d.GetCode())
	if !code.known() {
		code = CodeInternal
	}
	return &Error{Code: code, Message: d.GetMessage(), Executor: executor}
}

func progressToPB(p Progress) *pb.TransferEvent {
	return &pb.TransferEvent{Event: &pb.TransferEvent_Progress{Progress: &pb.Progress{
		BytesDone: p.BytesDone, BytesTotal: p.BytesTotal, File: p.File,
	}}}
}

func resultToPB(r TransferResult) *pb.TransferEvent {
	var files []*pb.FileDigest
	for _, f := range r.Files {
		files = append(files, &pb.FileDigest{Path: f.Path, Size: f.Size, Sha256: f.SHA256})
	}
	return &pb.TransferEvent{Event: &pb.TransferEvent_Result{Result: &pb.TransferResult{
		SnapshotId: r.SnapshotID, Bytes: r.Bytes, ResumedBytes: r.ResumedBytes, Files: files,
	}}}
}

// resultFromPB converts a transfer result; Files stays nil when the plugin
// sent none.
func resultFromPB(r *pb.TransferResult) TransferResult {
	out := TransferResult{SnapshotID: r.GetSnapshotId(), Bytes: r.GetBytes(), ResumedBytes: r.GetResumedBytes()}
	for _, f := range r.GetFiles() {
		out.Files = append(out.Files, FileDigest{Path: f.GetPath(), Size: f.GetSize(), SHA256: f.GetSha256()})
	}
	return out
}

// nonNil returns s, or an empty slice for nil, so callers never see nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deref(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// statusToPB is st on the wire; nil stays nil.
func statusToPB(st *CanisterStatus) *pb.CanisterStatusResponse {
	if st == nil {
		return nil
	}
	return &pb.CanisterStatusResponse{
		Status: string(st.Status), Controllers: st.Controllers, ModuleHash: st.ModuleHash, MemorySize: st.MemorySize,
		HasCycles: st.Cycles != nil, Cycles: deref(st.Cycles), FreezingThreshold: st.FreezingThresholdSeconds,
		IdleCyclesBurnedPerDay: st.IdleCyclesBurnedPerDay,
	}
}

// statusFromPB reads a status off the wire; nil stays nil.
func statusFromPB(r *pb.CanisterStatusResponse) *CanisterStatus {
	if r == nil {
		return nil
	}
	st := &CanisterStatus{
		Status: RunStatus(r.GetStatus()), Controllers: nonNil(r.GetControllers()),
		ModuleHash: r.GetModuleHash(), MemorySize: r.GetMemorySize(),
		FreezingThresholdSeconds: r.GetFreezingThreshold(), IdleCyclesBurnedPerDay: r.GetIdleCyclesBurnedPerDay(),
	}
	if r.GetHasCycles() {
		n := r.GetCycles()
		st.Cycles = &n
	}
	return st
}
