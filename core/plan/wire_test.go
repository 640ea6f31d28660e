package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
)

func TestControlAuthoritySourceWireForms(t *testing.T) {
	for _, c := range []struct {
		src  ControlAuthoritySource
		json string
	}{
		{Source(ControlUnknown), `{"kind":"unknown"}`},
		{Source(ControlRootController), `{"kind":"root-controller"}`},
		{Source(ControlOperatorController), `{"kind":"operator-controller"}`},
		{AlternateController(root, "ops <team>"), `{"kind":"alternate-controller","controller":"aaaaa-aa","reason":"ops <team>"}`},
	} {
		out, err := wire.Marshal(c.src)
		require.NoError(t, err)
		assert.Equal(t, c.json, string(out))
		var back ControlAuthoritySource
		require.NoError(t, wire.Unmarshal([]byte(c.json), &back))
		assert.Equal(t, c.src, back)
	}
}

func TestControlAuthoritySourceDecodeRules(t *testing.T) {
	var s ControlAuthoritySource
	require.NoError(t, wire.Unmarshal([]byte(`{"kind":"root-controller","controller":"x"}`), &s), "extra keys beside a unit variant are ignored")
	assert.Equal(t, Source(ControlRootController), s)
	assert.Error(t, wire.Unmarshal([]byte(`{"kind":"alternate-controller","controller":"aaaaa-aa"}`), &s))
	assert.Error(t, wire.Unmarshal([]byte(`{"kind":"alternate-controller","controller":null,"reason":"r"}`), &s))
	assert.Error(t, wire.Unmarshal([]byte(`"root-controller"`), &s))
	assert.Error(t, wire.Unmarshal([]byte(`{"kind":"Root-Controller"}`), &s))
	assert.Error(t, wire.Unmarshal([]byte(`{}`), &s))
}

func TestEnumsRejectUnknownVariants(t *testing.T) {
	var k BackupScopeKind
	err := k.UnmarshalText([]byte("Subtree"))
	assert.EqualError(t, err, "unknown variant `Subtree`, expected one of `member`, `subtree`, `non-root-fleet`, `maintenance-root`")
	_, err = BackupOperationKind("").MarshalText()
	assert.Error(t, err)
	var m IdentityMode
	assert.EqualError(t, m.UnmarshalText([]byte("Fixed")), "unknown variant `Fixed`, expected `fixed` or `relocatable`", "serde's two-variant form")
	var uv *UnknownVariantError
	assert.ErrorAs(t, m.UnmarshalText([]byte("x")), &uv)
	var p BackupPlan
	data := []byte(`{"plan_id":"p","run_id":"r","fleet":"f","network":"n","root_canister_id":"aaaaa-aa","selected_scope_kind":"bogus","include_descendants":true,"root_included":false,"requires_root_controller":false,"snapshot_read_authority":{"source":"unknown","evidence":"unknown"},"quiescence_policy":"crash-consistent","topology_hash_before_quiesce":"h","targets":[],"phases":[]}`)
	assert.Error(t, wire.Unmarshal(data, &p))
}

func TestDebugNames(t *testing.T) {
	assert.Equal(t, "CreateSnapshot", OpCreateSnapshot.DebugName())
	assert.Equal(t, "ValidateSnapshotReadAuthority", OpValidateSnapshotReadAuthority.DebugName())
	assert.Equal(t, "Stop", OpStop.DebugName())
}

// Fix: 0.35.1 kept authority upgrades in memory when a later check failed.
func TestBundleApplicationIsAllOrNothing(t *testing.T) {
	p := subtreePlan()
	declared := ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	p.Targets[0].ControlAuthority = declared
	b := bundle(subtreePlan())
	b.Quiescence.Accepted = false
	require.ErrorIs(t, p.ApplyExecutionPreflightReceipts(b, asOf), ErrQuiescencePreflightRejected)
	assert.Equal(t, declared, p.Targets[0].ControlAuthority)

	p2 := subtreePlan()
	p2.Targets[0].ControlAuthority = declared
	err := p2.ApplyAuthorityPreflightReceipts(preflightID,
		[]ControlAuthorityReceipt{controlReceipt(app, provenRootControl())}, nil, asOf)
	require.ErrorIs(t, err, ErrMissingSnapshotReadAuthorityReceipt)
	assert.Equal(t, declared, p2.Targets[0].ControlAuthority)
}
