package dfx

// Command lines, one function per operation and flavor. The arguments
// exclude the binary. icp's network flags (-n/-k or -e) and --identity go
// after the subcommand and its operands, as icp 1.5.0 requires (reference
// C.1: `icp canister -n X snapshot list` is a usage error); dfx's global
// --network and --identity are placed the same way. No argument ever holds
// key material.

// selection is the network and identity part of every command line.
type selection struct {
	flavor      Flavor
	network     string
	rootKey     string
	environment string
	identity    string
}

func selectionOf(s Settings) selection {
	return selection{flavor: s.Flavor, network: s.Network, rootKey: s.RootKey, environment: s.Environment, identity: s.Identity}
}

// flags renders the selection as trailing flags.
func (n selection) flags() []string {
	var out []string
	switch n.flavor {
	case FlavorICP:
		if n.environment != "" {
			out = append(out, "-e", n.environment)
		} else {
			out = append(out, "-n", n.network)
			if isURL(n.network) && n.rootKey != "" {
				out = append(out, "-k", n.rootKey)
			}
		}
	case FlavorDFX:
		out = append(out, "--network", n.network)
	}
	if n.identity != "" {
		out = append(out, "--identity", n.identity)
	}
	return out
}

func (n selection) with(args ...string) []string { return append(args, n.flags()...) }

// icp

func icpStatusArgv(n selection, cid string) []string {
	return n.with("canister", "status", cid, "--json")
}

func icpStopArgv(n selection, cid string) []string { return n.with("canister", "stop", cid) }

func icpStartArgv(n selection, cid string) []string { return n.with("canister", "start", cid) }

func icpCreateArgv(n selection, cid string) []string {
	return n.with("canister", "snapshot", "create", cid, "--json")
}

func icpListArgv(n selection, cid string) []string {
	return n.with("canister", "snapshot", "list", cid, "--json")
}

func icpDeleteArgv(n selection, cid, snap string) []string {
	return n.with("canister", "snapshot", "delete", cid, snap)
}

// icpDownloadArgv passes --resume only when resume is true: icp 1.5.0
// refuses --resume without an earlier metadata.json and refuses a
// non-empty directory without it.
func icpDownloadArgv(n selection, cid, snap, dir string, resume bool) []string {
	args := []string{"canister", "snapshot", "download", cid, snap, "--output", dir}
	if resume {
		args = append(args, "--resume")
	}
	return n.with(args...)
}

// icpUploadArgv passes --resume only when an .upload_progress.json exists:
// icp 1.5.0 fails a fresh upload given --resume (reference E.3 #1).
func icpUploadArgv(n selection, cid, dir string, resume bool) []string {
	args := []string{"canister", "snapshot", "upload", cid, "--input", dir, "--json"}
	if resume {
		args = append(args, "--resume")
	}
	return n.with(args...)
}

func icpLoadArgv(n selection, cid, snap string) []string {
	return n.with("canister", "snapshot", "restore", cid, snap)
}

func icpRegistryArgv(n selection, root string) []string {
	return n.with("canister", "call", root, "canic_subnet_registry", "()", "--query", "--json")
}

func icpPrincipalArgv(n selection) []string {
	args := []string{"identity", "principal"}
	if n.identity != "" {
		args = append(args, "--identity", n.identity)
	}
	return args
}

// icpImportArgv imports a PEM file by path into the (private) ICP_HOME with
// plaintext storage: the default keyring storage does not work headless.
func icpImportArgv(name, pemPath string) []string {
	return []string{"identity", "import", name, "--from-pem", pemPath, "--storage", "plaintext"}
}

// dfx

func dfxStatusArgv(n selection, cid string) []string { return n.with("canister", "status", cid) }

func dfxStopArgv(n selection, cid string) []string { return n.with("canister", "stop", cid) }

func dfxStartArgv(n selection, cid string) []string { return n.with("canister", "start", cid) }

func dfxCreateArgv(n selection, cid string) []string {
	return n.with("canister", "snapshot", "create", cid)
}

func dfxListArgv(n selection, cid string) []string {
	return n.with("canister", "snapshot", "list", cid)
}

func dfxDeleteArgv(n selection, cid, snap string) []string {
	return n.with("canister", "snapshot", "delete", cid, snap)
}

// dfxDownloadArgv: the directory must exist; -r resumes by appending to
// the files already there.
func dfxDownloadArgv(n selection, cid, snap, dir string, resume bool) []string {
	args := []string{"canister", "snapshot", "download", cid, snap, "--dir", dir}
	if resume {
		args = append(args, "--resume")
	}
	return n.with(args...)
}

// dfxUploadArgv resumes with --resume <snapshot id> when dfx left its
// progress file <dir>/<snapshot id>.json.
func dfxUploadArgv(n selection, cid, dir, resumeID string) []string {
	args := []string{"canister", "snapshot", "upload", cid, "--dir", dir}
	if resumeID != "" {
		args = append(args, "--resume", resumeID)
	}
	return n.with(args...)
}

func dfxLoadArgv(n selection, cid, snap string) []string {
	return n.with("canister", "snapshot", "load", cid, snap)
}

// dfxRegistryArgv asks for the raw candid reply (hex) so the executor
// decodes the same bytes as icp's --json response_bytes, with field names
// from the known type rather than from a .did file dfx may not have.
func dfxRegistryArgv(n selection, root string) []string {
	return n.with("canister", "call", root, "canic_subnet_registry", "()", "--query", "--output", "raw")
}

func dfxPrincipalArgv(n selection) []string {
	args := []string{"identity", "get-principal"}
	if n.identity != "" {
		args = append(args, "--identity", n.identity)
	}
	return args
}
