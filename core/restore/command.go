package restore

import (
	"strings"
	"unicode/utf8"
)

// Notes recorded with each command preview (0.35.1's exact texts).
const (
	NoteStop         = "stops the target canister before snapshot restore"
	NoteStart        = "starts the target canister after snapshot restore"
	NoteUpload       = "uploads the downloaded snapshot artifact to the target canister"
	NoteLoad         = "loads the uploaded snapshot into the target canister"
	NoteVerifyMember = "checks target canister status"
	NoteVerifyFleet  = "checks target fleet root canister status"
	NoteStoppedProbe = "proves the target canister is stopped before snapshot load"
)

// CommandOp is what an executor needs to render one operation's command:
// the operation kind (a stopped-status probe is rendered as OpVerifyMember),
// the target canister, and the upload input path or the uploaded snapshot
// id to load.
type CommandOp struct {
	// Kind is the operation kind.
	Kind OperationKind
	// Target is the target canister principal.
	Target string
	// InputPath is the resolved artifact path of an upload.
	InputPath string
	// SnapshotID is the target-side (uploaded) snapshot id of a load.
	SnapshotID string
}

// Argv is a rendered command: the program and its arguments, or for an
// executor that calls the IC directly, a program naming the executor and
// arguments describing the management canister call.
type Argv struct {
	Program string
	Args    []string
}

// IcpPreview renders commands as 0.35.1 renders its icp/dfx argv:
// `<program> canister [-n <network>] <verb> ...`.
type IcpPreview struct {
	// Program is the CLI, "icp" when empty.
	Program string
	// Network, when set, adds "-n <network>" after "canister".
	Network string
}

// Render returns the argv of op.
func (p IcpPreview) Render(op CommandOp) Argv {
	program := p.Program
	if program == "" {
		program = "icp"
	}
	args := []string{"canister"}
	if p.Network != "" {
		args = append(args, "-n", p.Network)
	}
	switch op.Kind {
	case OpStopCanister:
		args = append(args, "stop", op.Target)
	case OpStartCanister:
		args = append(args, "start", op.Target)
	case OpUploadSnapshot:
		args = append(args, "snapshot", "upload", op.Target, "--input", op.InputPath, "--resume")
	case OpLoadSnapshot:
		args = append(args, "snapshot", "restore", op.Target, op.SnapshotID)
	default:
		args = append(args, "status", op.Target)
	}
	return Argv{Program: program, Args: args}
}

// Previewer renders operations as commands for the journal.
type Previewer interface {
	// CommandPreview renders op.
	CommandPreview(op CommandOp) Argv
}

// CommandPreview implements Previewer.
func (p IcpPreview) CommandPreview(op CommandOp) Argv { return p.Render(op) }

// CommandPreviewResult is RestoreApplyCommandPreview: the next operation
// and its command, if one can be rendered.
type CommandPreviewResult struct {
	OperationAvailable bool
	CommandAvailable   bool
	Operation          *JournalOperation
	Command            *RunnerCommand
	// Input is the executor-facing form of the command.
	Input CommandOp
	// Err is why no command could be rendered for an available
	// operation when the journal itself is at fault (an artifact path
	// that escapes the backup); nil otherwise.
	Err error
}

// NextCommand previews the next transitionable operation's command.
// An upload renders only with a backup root and a safe path; a load only
// once its upload recorded the target-side snapshot id.
func (j *Journal) NextCommand(p Previewer) CommandPreviewResult {
	next := j.NextTransition()
	if next == nil {
		return CommandPreviewResult{}
	}
	op := cloneOperation(*next)
	res := CommandPreviewResult{OperationAvailable: true, Operation: &op}
	in := CommandOp{Kind: op.Operation, Target: op.TargetCanister}
	var note string
	mutates, stopped := true, false
	switch op.Operation {
	case OpStopCanister:
		note = NoteStop
	case OpStartCanister:
		note = NoteStart
	case OpUploadSnapshot:
		if op.ArtifactPath == nil || j.BackupRoot == nil {
			return res
		}
		path, err := ResolveArtifact(*j.BackupRoot, op.SourceCanister, *op.ArtifactPath)
		if err != nil {
			res.Err = err
			return res
		}
		in.InputPath, note = path, NoteUpload
	case OpLoadSnapshot:
		id, ok := j.UploadedSnapshotIDForLoad(&op)
		if !ok {
			return res
		}
		in.SnapshotID, note, stopped = id, NoteLoad, true
	case OpVerifyMember, OpVerifyFleet:
		if op.VerificationKind == nil || *op.VerificationKind != "status" {
			return res
		}
		note, mutates = NoteVerifyMember, false
		if op.Operation == OpVerifyFleet {
			note = NoteVerifyFleet
		}
	default:
		return res
	}
	argv := p.CommandPreview(in)
	res.Input = in
	res.CommandAvailable = true
	res.Command = &RunnerCommand{Program: argv.Program, Args: nonNil(argv.Args), Mutates: mutates, RequiresStoppedCanister: stopped, Note: note}
	return res
}

func probeCommand(p Previewer, target string) RunnerCommand {
	argv := p.CommandPreview(CommandOp{Kind: OpVerifyMember, Target: target})
	return RunnerCommand{Program: argv.Program, Args: nonNil(argv.Args), Note: NoteStoppedProbe}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// BoundOutput keeps the last limit bytes of b as lossy UTF-8 text.
func BoundOutput(b []byte, limit int) CommandOutput {
	out := CommandOutput{OriginalBytes: len(b)}
	if len(b) > limit {
		b = b[len(b)-limit:]
		out.Truncated = true
	}
	out.Text = lossy(b)
	return out
}

// lossy decodes b as UTF-8, replacing each invalid byte by U+FFFD; for a
// tail cut inside a character (continuation bytes) this is what Rust's
// from_utf8_lossy produces.
func lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// OutputLimit is the tail kept of each output stream (64 KiB).
const OutputLimit = 64 * 1024
