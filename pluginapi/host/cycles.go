package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// CyclesShort is one canister whose balance cannot pay for its part of a
// run.
type CyclesShort struct {
	canister string
	balance  uint64
	need     cyclecost.Estimate
}

// BackupCyclesShort reports whether st's balance covers the backup of a
// canister of its memory (cyclecost.Backup: its freezing threshold with the
// snapshot counted, plus the snapshot's and the calls' fees). A status
// without a balance (an executor that cannot read it) is not checked.
func BackupCyclesShort(id string, st pluginapi.CanisterStatus) *CyclesShort {
	if st.Cycles == nil {
		return nil
	}
	need := cyclecost.Backup(st.MemorySize, st.FreezingThresholdSeconds)
	if new(big.Int).SetUint64(*st.Cycles).Cmp(need.Total()) >= 0 {
		return nil
	}
	return &CyclesShort{canister: id, balance: *st.Cycles, need: need}
}

// CyclesPreflightError names every canister that cannot pay, its balance,
// the estimate and the command that tops it up, as a "cycles" failure the
// run reports before it stops anything.
func CyclesPreflightError(what, network string, shorts []CyclesShort) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d canister(s) cannot pay for this %s; nothing was stopped or changed:", len(shorts), what)
	for _, s := range shorts {
		deficit := new(big.Int).Sub(s.need.Total(), new(big.Int).SetUint64(s.balance))
		// Top up the deficit plus a margin of 10% of the estimate.
		amount := new(big.Int).Add(deficit, new(big.Int).Div(s.need.Total(), big.NewInt(10)))
		cmd := "icp canister top-up --amount " + amount.String() + " " + s.canister
		if network != "" {
			cmd += " -n " + network
		}
		fmt.Fprintf(&b, "\n  canister %s: balance %d cycles, estimated need %s cycles (freezing threshold with the snapshot %s + calls %s; docs/drivers.md \"Cycles preflight\"); top it up: %s",
			s.canister, s.balance, s.need.Total(), s.need.Freezing, s.need.Calls, cmd)
	}
	return &runner.CommandError{Status: string(pluginapi.CodeCycles), Message: b.String()}
}

// CyclesStatusReader reads a target's full status (with its balance).
type CyclesStatusReader interface {
	FullStatus(ctx context.Context, target string) (pluginapi.CanisterStatus, error)
}

// RestoreCyclesPreflight checks, before a restore run executes anything,
// that every target with an upload still to do can pay for it: its
// freezing threshold with the uploaded snapshot counted plus the upload's
// and the load's fees (cyclecost.Restore), the snapshot's size being the
// artifact's on disk. Targets whose artifact is not on disk yet (streamed
// from a store) or whose balance the executor cannot read are not checked.
// It returns a "cycles" *restore.CommandError naming each canister that
// cannot pay.
func RestoreCyclesPreflight(ctx context.Context, ex restore.RestoreExecutor, journalPath, network string) error {
	sr, ok := ex.(CyclesStatusReader)
	if !ok {
		return nil
	}
	j, err := restore.ReadJournal(journalPath)
	if err != nil || j.BackupRoot == nil {
		return nil // restore.Run reports a bad journal itself
	}
	sizes := map[string]uint64{}
	var order []string
	for _, op := range j.Operations {
		if op.Operation != restore.OpUploadSnapshot || op.State == restore.StateCompleted || op.ArtifactPath == nil {
			continue
		}
		dir, err := restore.ResolveArtifact(*j.BackupRoot, op.SourceCanister, *op.ArtifactPath)
		if err != nil {
			continue
		}
		n, ok := treeSize(dir)
		if !ok {
			continue
		}
		if _, seen := sizes[op.TargetCanister]; !seen {
			order = append(order, op.TargetCanister)
		}
		sizes[op.TargetCanister] += n
	}
	var short []CyclesShort
	for _, id := range order {
		st, err := sr.FullStatus(ctx, id)
		if err != nil || st.Cycles == nil {
			continue // the run's own status checks report an unreachable target
		}
		need := cyclecost.Restore(st.MemorySize, sizes[id], st.FreezingThresholdSeconds)
		if new(big.Int).SetUint64(*st.Cycles).Cmp(need.Total()) < 0 {
			short = append(short, CyclesShort{canister: id, balance: *st.Cycles, need: need})
		}
	}
	if len(short) == 0 {
		return nil
	}
	ce := CyclesPreflightError("restore", network, short).(*runner.CommandError)
	return &restore.CommandError{Status: ce.Status, Err: errors.New(ce.Message)}
}

// treeSize sums the regular files under dir; ok is false when dir cannot
// be read.
func treeSize(dir string) (uint64, bool) {
	var n uint64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += uint64(info.Size())
		}
		return nil
	})
	return n, err == nil
}
