package main

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// cyclesShort is one canister whose balance cannot pay for its part of a
// run.
type cyclesShort struct {
	canister string
	balance  uint64
	need     cyclecost.Estimate
}

// backupCyclesShort reports whether st's balance covers the backup of a
// canister of its memory (cyclecost.Backup: its freezing threshold with the
// snapshot counted, plus the snapshot's and the calls' fees). A status
// without a balance (an executor that cannot read it) is not checked.
func backupCyclesShort(id string, st pluginapi.CanisterStatus) *cyclesShort {
	if st.Cycles == nil {
		return nil
	}
	need := cyclecost.Backup(st.MemorySize, st.FreezingThresholdSeconds)
	if new(big.Int).SetUint64(*st.Cycles).Cmp(need.Total()) >= 0 {
		return nil
	}
	return &cyclesShort{canister: id, balance: *st.Cycles, need: need}
}

// cyclesPreflightError names every canister that cannot pay, its balance,
// the estimate and the command that tops it up, as a "cycles" failure the
// run reports before it stops anything.
func cyclesPreflightError(what, network string, shorts []cyclesShort) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d canister(s) cannot pay for this %s; nothing was stopped:", len(shorts), what)
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
