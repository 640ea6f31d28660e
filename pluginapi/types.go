package pluginapi

// Capability names an optional feature an executor supports, so that a new
// optional feature does not need a new protocol version.
type Capability = string

// Capabilities an executor may report in Info.Capabilities.
const (
	// CapabilityResumeDownload means DownloadSnapshot keeps what the
	// directory already holds.
	CapabilityResumeDownload Capability = "resume-download"
	// CapabilityUpload means UploadSnapshot and LoadSnapshot are implemented.
	CapabilityUpload Capability = "upload"
	// CapabilityRegistry means QueryRegistry is implemented.
	CapabilityRegistry Capability = "registry"
	// CapabilityPreflight means Preflight is implemented.
	CapabilityPreflight Capability = "preflight"
)

// Info describes an executor.
type Info struct {
	// Name is the executor's name, e.g. "icp" or "localdir".
	Name string
	// Version is the executor's own version (semver).
	Version string
	// ProtocolVersion is the plugin protocol version it speaks.
	ProtocolVersion int
	// Capabilities lists the optional features it supports.
	Capabilities []Capability
}

// Has reports whether the executor advertises capability c.
func (i Info) Has(c Capability) bool {
	for _, x := range i.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Target names one canister on one network.
type Target struct {
	// Network is the network name or URL the executor resolves, e.g. "local"
	// or "ic".
	Network string
	// CanisterID is the canister's textual principal.
	CanisterID string
}

// String renders the target for messages as "canister@network".
func (t Target) String() string {
	if t.Network == "" {
		return t.CanisterID
	}
	return t.CanisterID + "@" + t.Network
}

// RunStatus is a canister's run status.
type RunStatus string

// The run statuses of the management canister's canister_status.
const (
	StatusRunning  RunStatus = "running"
	StatusStopping RunStatus = "stopping"
	StatusStopped  RunStatus = "stopped"
)

// CanisterStatus reports a canister's status.
type CanisterStatus struct {
	// Status is running, stopping or stopped.
	Status RunStatus
	// Controllers are the controllers' textual principals.
	Controllers []string
	// ModuleHash is the lowercase hex sha256 of the installed module, empty
	// when the canister is empty.
	ModuleHash string
	// MemorySize is the canister's memory footprint in bytes.
	MemorySize uint64
	// Cycles is the canister's balance; nil when the executor cannot read
	// it (then the engine's cycles preflight is skipped for this canister).
	Cycles *uint64
	// FreezingThresholdSeconds is the canister's freezing_threshold setting.
	FreezingThresholdSeconds uint64
	// IdleCyclesBurnedPerDay is what the canister burns per day when idle
	// (memory, compute allocation); with the freezing threshold it gives the
	// balance below which the canister freezes.
	IdleCyclesBurnedPerDay uint64
}

// SnapshotInfo describes one canister snapshot.
type SnapshotInfo struct {
	// ID is the snapshot id in lowercase hex, as every IC CLI prints it.
	ID string
	// TakenAtNanos is the time it was taken, in nanoseconds since the Unix
	// epoch.
	TakenAtNanos uint64
	// TotalSize is the snapshot's size in bytes.
	TotalSize uint64
}

// PreflightRequest lists the plan's targets.
type PreflightRequest struct {
	// Network is the network of every target.
	Network string
	// Root is the fleet's root canister.
	Root string
	// CanisterIDs are the targets to inspect.
	CanisterIDs []string
}

// PreflightReport is the evidence gathered by Preflight.
type PreflightReport struct {
	// Identity is the principal the executor acts as.
	Identity string
	// Targets holds one entry per requested canister, in request order.
	Targets []PreflightTarget
}

// PreflightTarget is the evidence gathered for one target.
type PreflightTarget struct {
	// CanisterID is the inspected canister.
	CanisterID string
	// Status is its run status, empty when Err is set.
	Status RunStatus
	// Controllers are its controllers.
	Controllers []string
	// IdentityIsController reports whether the executor's identity controls it.
	IdentityIsController bool
	// RootIsController reports whether the fleet's root controls it.
	RootIsController bool
	// ModuleHash is the lowercase hex sha256 of its module, empty if none.
	ModuleHash string
	// Err is why the target could not be inspected, nil on success.
	Err *Error
	// Detail is the target's full status as CanisterStatus reports it
	// (balance, memory size, freezing threshold), nil when Err is set. A
	// plugin built before the field existed leaves it nil on success, and
	// the host then reads each status itself.
	Detail *CanisterStatus
}

// RegistryEntry is one canic_subnet_registry record.
type RegistryEntry struct {
	// PID is the canister's principal.
	PID string
	// Role is its canic role.
	Role string
	// ParentPID is its parent's principal, empty for the root.
	ParentPID string
	// ModuleHash is the lowercase hex module hash, empty when unknown.
	ModuleHash string
	// CreatedAt is the registry's creation timestamp (seconds, as canic
	// records it).
	CreatedAt uint64
}

// Progress reports bytes transferred so far.
type Progress struct {
	// BytesDone counts bytes present in the directory (for downloads,
	// including bytes kept from an earlier attempt).
	BytesDone uint64
	// BytesTotal is the snapshot's total size in bytes.
	BytesTotal uint64
	// File is the file being transferred, relative to the directory.
	File string
}

// TransferResult ends a download or upload.
type TransferResult struct {
	// SnapshotID is the downloaded snapshot, or the new one for an upload.
	SnapshotID string
	// Bytes is the total size of the snapshot's files.
	Bytes uint64
	// ResumedBytes counts bytes kept from an earlier, interrupted download.
	ResumedBytes uint64
	// Files, optional, lists every file a download wrote with its SHA-256
	// computed while writing, so the engine need not read the artifact
	// again to checksum it. Nil when the executor does not report digests
	// (older plugins, uploads).
	Files []FileDigest
}

// FileDigest is one file of a finished download.
type FileDigest struct {
	// Path is relative to the download directory, '/'-separated.
	Path string
	// Size is the file's length in bytes.
	Size uint64
	// SHA256 is the lower-case hex SHA-256 of the file's contents.
	SHA256 string
}
