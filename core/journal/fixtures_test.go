package journal

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
)

// Fixtures of 0.35.1's execution tests (reference §10).
const (
	rootID      = "aaaaa-aa"
	appID       = "renrk-eyaaa-aaaaa-aaada-cai"
	preflightID = "preflight-001"
	testHash    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func str(s string) *string { return &s }

// memberPlan is a member-scope plan over APP: sequences 0-3 preflight, 4
// stop, 5 create-snapshot, 6 start, 7 download, 8 verify, 9 finalize.
func memberPlan() *plan.BackupPlan {
	proven := plan.ControlAuthority{Source: plan.Source(plan.ControlRootController), Evidence: plan.EvidenceProven}
	read := plan.SnapshotReadAuthority{Source: plan.ReadSourceRootConfiguredRead, Evidence: plan.EvidenceProven}
	kinds := []struct {
		id   string
		kind plan.BackupOperationKind
		tgt  *string
	}{
		{"validate-topology", plan.OpValidateTopology, nil},
		{"validate-control-authority", plan.OpValidateControlAuthority, nil},
		{"validate-snapshot-read-authority", plan.OpValidateSnapshotReadAuthority, nil},
		{"validate-quiescence-policy", plan.OpValidateQuiescencePolicy, nil},
		{"stop-" + appID, plan.OpStop, str(appID)},
		{"snapshot-" + appID, plan.OpCreateSnapshot, str(appID)},
		{"start-" + appID, plan.OpStart, str(appID)},
		{"download-" + appID, plan.OpDownloadSnapshot, str(appID)},
		{"verify-" + appID, plan.OpVerifyArtifact, str(appID)},
		{"finalize-manifest", plan.OpFinalizeManifest, nil},
	}
	p := &plan.BackupPlan{
		PlanID:                    "plan-001",
		RunID:                     "run-001",
		Fleet:                     "demo",
		Network:                   "local",
		RootCanisterID:            rootID,
		SelectedSubtreeRoot:       str(appID),
		SelectedScopeKind:         plan.ScopeMember,
		SnapshotReadAuthority:     read,
		QuiescencePolicy:          plan.QuiescenceCrashConsistent,
		TopologyHashBeforeQuiesce: testHash,
		Targets: []plan.BackupTarget{{
			CanisterID:            appID,
			Role:                  str("app"),
			ParentCanisterID:      str(rootID),
			Depth:                 1,
			ControlAuthority:      proven,
			SnapshotReadAuthority: read,
			IdentityMode:          plan.IdentityRelocatable,
		}},
	}
	for i, k := range kinds {
		p.Phases = append(p.Phases, plan.BackupOperation{OperationID: k.id, Order: uint32(i), Kind: k.kind, TargetCanisterID: k.tgt})
	}
	return p
}

func newJournal(t *testing.T) *BackupExecutionJournal {
	t.Helper()
	j, err := FromPlan(memberPlan())
	require.NoError(t, err)
	return j
}

func receiptsFor(p *plan.BackupPlan) *plan.BackupExecutionPreflightReceipts {
	return &plan.BackupExecutionPreflightReceipts{
		PlanID:      p.PlanID,
		PreflightID: preflightID,
		ValidatedAt: "unix:10",
		ExpiresAt:   "unix:310",
	}
}

func acceptedJournal(t *testing.T) *BackupExecutionJournal {
	t.Helper()
	j := newJournal(t)
	require.NoError(t, j.AcceptPreflightReceiptsAt(receiptsFor(memberPlan()), str("unix:10")))
	return j
}

// completeOperation marks seq pending and records a completed receipt.
func completeOperation(t *testing.T, j *BackupExecutionJournal, seq uint64) {
	t.Helper()
	require.NoError(t, j.MarkOperationPendingAt(seq, str("unix:20")))
	op := j.Operation(seq)
	r := CompletedReceipt(j, op, str("unix:21"))
	switch op.Kind {
	case plan.OpCreateSnapshot:
		r.SnapshotID = str("snap-1")
	case plan.OpDownloadSnapshot:
		r.ArtifactPath = str(appID)
	case plan.OpVerifyArtifact:
		r.Checksum = str(testHash)
	}
	require.NoError(t, j.RecordOperationReceipt(r))
}
