package dfx

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Parsers of icp 1.5.0's output (reference C.2). CLI output is not a
// persisted document: it is decoded leniently with encoding/json, ignoring
// the many status fields the executor does not need.

// ErrUnparsable is wrapped by every parse failure.
var ErrUnparsable = errors.New("unexpected CLI output")

func unparsable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnparsable}, args...)...)
}

// icpNumber is a number icp prints as a string with '_' separators
// ("2_592_000"), or as a plain JSON number.
type icpNumber uint64

// UnmarshalJSON accepts "1_234", "1234" and 1234.
func (n *icpNumber) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := parseUnderscored(s)
	if err != nil {
		return err
	}
	*n = icpNumber(v)
	return nil
}

// icpCycles is a cycles balance: a nat, saturated at the largest uint64
// rather than refused (a rich canister must not make status unreadable).
type icpCycles uint64

// UnmarshalJSON accepts what icpNumber does, saturating long numbers.
func (n *icpCycles) UnmarshalJSON(b []byte) error {
	s := strings.ReplaceAll(strings.Trim(string(b), `"`), "_", "")
	v, ok := new(big.Int).SetString(strings.TrimSpace(s), 10)
	if !ok || v.Sign() < 0 {
		return unparsable("cycles %q", s)
	}
	if !v.IsUint64() {
		*n = icpCycles(^uint64(0))
		return nil
	}
	*n = icpCycles(v.Uint64())
	return nil
}

func parseUnderscored(s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.ReplaceAll(strings.TrimSpace(s), "_", ""), 10, 64)
	if err != nil {
		return 0, unparsable("number %q", s)
	}
	return v, nil
}

func decodeJSON(out []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimSpace(out)))
	if err := dec.Decode(v); err != nil {
		return unparsable("JSON: %v (output %q)", err, clip(out))
	}
	return nil
}

// parseICPStatus decodes `icp canister status --json`: status capitalised,
// numbers as '_'-separated strings, module hash "0x…" or null.
func parseICPStatus(out []byte) (pluginapi.CanisterStatus, error) {
	var doc struct {
		Status   *string `json:"status"`
		Settings *struct {
			Controllers       []string   `json:"controllers"`
			FreezingThreshold *icpNumber `json:"freezing_threshold"`
		} `json:"settings"`
		ModuleHash *string    `json:"module_hash"`
		MemorySize *icpNumber `json:"memory_size"`
		Cycles     *icpCycles `json:"cycles"`
		IdleBurn   *icpNumber `json:"idle_cycles_burned_per_day"`
	}
	if err := decodeJSON(out, &doc); err != nil {
		return pluginapi.CanisterStatus{}, err
	}
	if doc.Status == nil {
		return pluginapi.CanisterStatus{}, unparsable("status JSON has no \"status\" (output %q)", clip(out))
	}
	st, err := runStatus(*doc.Status)
	if err != nil {
		return pluginapi.CanisterStatus{}, err
	}
	res := pluginapi.CanisterStatus{Status: st, Controllers: []string{}}
	if doc.Settings != nil && doc.Settings.Controllers != nil {
		res.Controllers = doc.Settings.Controllers
	}
	if doc.ModuleHash != nil {
		if res.ModuleHash, err = moduleHash(*doc.ModuleHash); err != nil {
			return pluginapi.CanisterStatus{}, err
		}
	}
	if doc.MemorySize != nil {
		res.MemorySize = uint64(*doc.MemorySize)
	}
	if doc.Cycles != nil {
		c := uint64(*doc.Cycles)
		res.Cycles = &c
	}
	if doc.Settings != nil && doc.Settings.FreezingThreshold != nil {
		res.FreezingThresholdSeconds = uint64(*doc.Settings.FreezingThreshold)
	}
	if doc.IdleBurn != nil {
		res.IdleCyclesBurnedPerDay = uint64(*doc.IdleBurn)
	}
	return res, nil
}

// parseICPStatusText reads the human `icp canister status` report (the
// fallback when --json is unavailable).
func parseICPStatusText(out []byte) (pluginapi.CanisterStatus, error) {
	res := pluginapi.CanisterStatus{Controllers: []string{}}
	seen := false
	inControllers := false
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		key, val, ok := strings.Cut(t, ":")
		val = strings.TrimSpace(val)
		switch {
		case inControllers && strings.HasPrefix(line, "    ") && key == "controller":
			res.Controllers = append(res.Controllers, val)
			continue
		case !ok:
			continue
		}
		inControllers = false
		switch key {
		case "Status":
			st, err := runStatus(val)
			if err != nil {
				return res, err
			}
			res.Status, seen = st, true
		case "Controllers":
			inControllers = true
		case "Module hash":
			h, err := moduleHash(val)
			if err != nil {
				return res, err
			}
			res.ModuleHash = h
		case "Memory size":
			v, err := parseUnderscored(val)
			if err != nil {
				return res, err
			}
			res.MemorySize = v
		}
	}
	if !seen {
		return res, unparsable("no \"Status:\" line (output %q)", clip(out))
	}
	return res, nil
}

// icpSnapshot is one snapshot in icp's JSON.
type icpSnapshot struct {
	SnapshotID *string    `json:"snapshot_id"`
	TakenAt    *icpNumber `json:"taken_at_timestamp"`
	TotalSize  *icpNumber `json:"total_size_bytes"`
}

func (s icpSnapshot) info() (pluginapi.SnapshotInfo, error) {
	if s.SnapshotID == nil || !isHex(*s.SnapshotID) {
		return pluginapi.SnapshotInfo{}, unparsable("snapshot without a hex snapshot_id")
	}
	info := pluginapi.SnapshotInfo{ID: strings.ToLower(*s.SnapshotID)}
	if s.TakenAt != nil {
		info.TakenAtNanos = uint64(*s.TakenAt)
	}
	if s.TotalSize != nil {
		info.TotalSize = uint64(*s.TotalSize)
	}
	return info, nil
}

// parseICPCreate decodes `icp canister snapshot create --json`
// (no trailing newline).
func parseICPCreate(out []byte) (pluginapi.SnapshotInfo, error) {
	var s icpSnapshot
	if err := decodeJSON(out, &s); err != nil {
		return pluginapi.SnapshotInfo{}, err
	}
	return s.info()
}

// parseICPList decodes `icp canister snapshot list --json`.
func parseICPList(out []byte) ([]pluginapi.SnapshotInfo, error) {
	var doc struct {
		Snapshots []icpSnapshot `json:"snapshots"`
	}
	if err := decodeJSON(out, &doc); err != nil {
		return nil, err
	}
	if doc.Snapshots == nil {
		return nil, unparsable("list JSON has no \"snapshots\" array (output %q)", clip(out))
	}
	res := make([]pluginapi.SnapshotInfo, 0, len(doc.Snapshots))
	for _, s := range doc.Snapshots {
		info, err := s.info()
		if err != nil {
			return nil, err
		}
		res = append(res, info)
	}
	return res, nil
}

var hexToken = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// parseICPListQuiet reads `icp canister snapshot list -q`, which in 1.5.0
// prints the ids one per line and then the human table as well (list.rs
// has no return after the quiet branch): only the bare hex lines that
// precede the table count.
func parseICPListQuiet(out []byte) []string {
	ids := []string{}
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if !hexToken.MatchString(t) || len(t)%2 != 0 {
			break
		}
		ids = append(ids, strings.ToLower(t))
	}
	return ids
}

var icpUploadSentence = regexp.MustCompile(`(?m)^Snapshot ([0-9a-fA-F]+) uploaded successfully\s*$`)

// parseICPUpload decodes `icp canister snapshot upload --json`
// ({"snapshot_id":…}); it also accepts the plain sentence
// "Snapshot <hex> uploaded successfully", which has no ':' (reference E.3
// #2: the reason canic 0.35.1 could not find the id).
func parseICPUpload(out []byte) (string, error) {
	if m := icpUploadSentence.FindSubmatch(out); m != nil {
		return strings.ToLower(string(m[1])), nil
	}
	var doc struct {
		SnapshotID *string `json:"snapshot_id"`
	}
	if err := decodeJSON(out, &doc); err != nil {
		return "", err
	}
	if doc.SnapshotID == nil || !isHex(*doc.SnapshotID) {
		return "", unparsable("upload JSON without a hex snapshot_id (output %q)", clip(out))
	}
	return strings.ToLower(*doc.SnapshotID), nil
}

// parseICPCall decodes `icp canister call … --json` and returns the raw
// candid reply from response_bytes.
func parseICPCall(out []byte) ([]byte, error) {
	var doc struct {
		ResponseBytes *string `json:"response_bytes"`
	}
	if err := decodeJSON(out, &doc); err != nil {
		return nil, err
	}
	if doc.ResponseBytes == nil {
		return nil, unparsable("call JSON has no \"response_bytes\" (output %q)", clip(out))
	}
	b, err := hex.DecodeString(*doc.ResponseBytes)
	if err != nil {
		return nil, unparsable("response_bytes is not hex: %v", err)
	}
	return b, nil
}

// parsePrincipal reads `icp identity principal` / `dfx identity
// get-principal`: one textual principal on stdout.
func parsePrincipal(out []byte) (string, error) {
	t := strings.TrimSpace(string(out))
	if t == "" || strings.ContainsAny(t, " \n\t") || !strings.Contains(t, "-") {
		return "", unparsable("not a principal: %q", clip(out))
	}
	return t, nil
}

// runStatus maps "Running"/"Stopping"/"Stopped" (any case) to a RunStatus.
func runStatus(s string) (pluginapi.RunStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "running":
		return pluginapi.StatusRunning, nil
	case "stopping":
		return pluginapi.StatusStopping, nil
	case "stopped":
		return pluginapi.StatusStopped, nil
	}
	return "", unparsable("canister status %q", s)
}

// moduleHash turns "0x<hex>", "<hex>", "None" or "" into lowercase hex.
func moduleHash(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "None" || s == "null" {
		return "", nil
	}
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "Some(0x")
	h = strings.TrimSuffix(h, ")")
	if len(h) != 64 || !isHex(h) {
		return "", unparsable("module hash %q", s)
	}
	return strings.ToLower(h), nil
}

// clip shortens output quoted in an error.
func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
