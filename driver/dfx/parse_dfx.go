package dfx

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Parsers of dfx 0.32's documented output (reference D). dfx has no --json
// on these commands, so its text is parsed; the id-bearing sentences are
// matched whole so a change of wording fails loudly instead of yielding a
// wrong id.

// parseDFXStatus reads `dfx canister status`: "Status: Running" (Rust
// Debug), "Controllers: a b …", "Module hash: 0x…" or "None", "Memory Size:
// Nat(123)" or "Memory Size: 1_234 Bytes".
func parseDFXStatus(out []byte) (pluginapi.CanisterStatus, error) {
	res := pluginapi.CanisterStatus{Controllers: []string{}}
	seen := false
	for _, line := range strings.Split(string(out), "\n") {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Status":
			st, err := runStatus(val)
			if err != nil {
				return res, err
			}
			res.Status, seen = st, true
		case "Controllers":
			res.Controllers = append(res.Controllers, strings.Fields(val)...)
		case "Module hash":
			h, err := moduleHash(val)
			if err != nil {
				return res, err
			}
			res.ModuleHash = h
		case "Memory Size", "Memory size":
			v := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(val, "Nat("), " Bytes"), ")")
			n, err := parseUnderscored(v)
			if err != nil {
				return res, err
			}
			res.MemorySize = n
		}
	}
	if !seen {
		return res, unparsable("no \"Status:\" line (output %q)", clip(out))
	}
	return res, nil
}

var dfxCreated = regexp.MustCompile(`Created a new snapshot of canister \S+\. Snapshot ID: ([0-9a-fA-F]+)`)

// parseDFXCreate reads "Created a new snapshot of canister <c>. Snapshot
// ID: <hex>" (stdout).
func parseDFXCreate(out []byte) (string, error) {
	m := dfxCreated.FindSubmatch(out)
	if m == nil || len(m[1])%2 != 0 {
		return "", unparsable("no \"Created a new snapshot … Snapshot ID: <hex>\" (output %q)", clip(out))
	}
	return strings.ToLower(string(m[1])), nil
}

var dfxUploaded = regexp.MustCompile(`Uploaded a snapshot of canister \S+\. Snapshot ID: ([0-9a-fA-F]+)`)

// parseDFXUpload reads "Uploaded a snapshot of canister <c>. Snapshot ID:
// <hex>", which dfx logs to stderr.
func parseDFXUpload(stdout, stderr []byte) (string, error) {
	for _, b := range [][]byte{stderr, stdout} {
		if m := dfxUploaded.FindSubmatch(b); m != nil && len(m[1])%2 == 0 {
			return strings.ToLower(string(m[1])), nil
		}
	}
	return "", unparsable("no \"Uploaded a snapshot … Snapshot ID: <hex>\" (stderr %q)", clip(stderr))
}

var dfxListLine = regexp.MustCompile(`^([0-9a-fA-F]+): ([0-9.]+) ?([KMGTP]?i?B), taken at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC$`)

// parseDFXList reads `dfx canister snapshot list`: one
// "<hex>: <size>, taken at YYYY-MM-DD HH:MM:SS UTC" line per snapshot; an
// empty list prints nothing on stdout. Sizes are rounded by dfx and times
// have second resolution.
func parseDFXList(out []byte) ([]pluginapi.SnapshotInfo, error) {
	res := []pluginapi.SnapshotInfo{}
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		m := dfxListLine.FindStringSubmatch(t)
		if m == nil {
			return nil, unparsable("snapshot list line %q", t)
		}
		size, err := humanBytes(m[2], m[3])
		if err != nil {
			return nil, err
		}
		at, err := time.Parse("2006-01-02 15:04:05", m[4])
		if err != nil {
			return nil, unparsable("snapshot time %q", m[4])
		}
		res = append(res, pluginapi.SnapshotInfo{ID: strings.ToLower(m[1]), TakenAtNanos: uint64(at.UnixNano()), TotalSize: size})
	}
	return res, nil
}

// parseDFXCall reads `dfx canister call … --output raw`: the candid reply
// as hex on stdout.
func parseDFXCall(out []byte) ([]byte, error) {
	t := strings.TrimSpace(string(out))
	b, err := hex.DecodeString(t)
	if err != nil || len(b) < 4 || string(b[:4]) != "DIDL" {
		return nil, unparsable("raw reply is not hex candid (output %q)", clip(out))
	}
	return b, nil
}

// humanBytes turns "3.00" "MiB" into bytes.
func humanBytes(num, unit string) (uint64, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, unparsable("size %q", num+" "+unit)
	}
	mult := map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
	if mult == 0 {
		return 0, unparsable("size unit %q", unit)
	}
	return uint64(f * mult), nil
}
