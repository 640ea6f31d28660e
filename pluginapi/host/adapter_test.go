package host

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// statusPlugin serves canister statuses from a map; methods the adapter
// must not call are left to the nil embedded interface (panic).
type statusPlugin struct {
	pluginapi.Executor
	caps     []string
	statuses map[string]pluginapi.CanisterStatus
	// legacy sends Preflight targets without Detail, as a plugin built
	// before the field existed does.
	legacy bool

	mu             sync.Mutex
	statusCalls    int
	preflightCalls int
}

func (p *statusPlugin) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "status", Capabilities: p.caps}, nil
}

func (p *statusPlugin) CanisterStatus(_ context.Context, t pluginapi.Target) (pluginapi.CanisterStatus, error) {
	p.mu.Lock()
	p.statusCalls++
	p.mu.Unlock()
	st, ok := p.statuses[t.CanisterID]
	if !ok {
		return st, &pluginapi.Error{Code: pluginapi.CodeNotFound, Message: "canister " + t.CanisterID + " not found", Executor: "status"}
	}
	return st, nil
}

func (p *statusPlugin) Preflight(_ context.Context, req pluginapi.PreflightRequest) (pluginapi.PreflightReport, error) {
	p.mu.Lock()
	p.preflightCalls++
	p.mu.Unlock()
	rep := pluginapi.PreflightReport{Identity: "me"}
	for _, id := range req.CanisterIDs {
		pt := pluginapi.PreflightTarget{CanisterID: id}
		st, ok := p.statuses[id]
		switch {
		case !ok:
			pt.Err = &pluginapi.Error{Code: pluginapi.CodeNotFound, Message: "canister " + id + " not found", Executor: "status"}
		case p.legacy:
			pt.Status = st.Status
		default:
			pt.Status, pt.Detail = st.Status, &st
		}
		rep.Targets = append(rep.Targets, pt)
	}
	return rep, nil
}

func cycles(n uint64) *uint64 { return &n }

const (
	richID = "ryjl3-tyaaa-aaaaa-aaaba-cai"
	poorID = "rrkah-fqaaa-aaaaa-aaaaq-cai"
)

func twoTargets() *plan.BackupPlan {
	return &plan.BackupPlan{RootCanisterID: richID, Targets: []plan.BackupTarget{{CanisterID: richID}, {CanisterID: poorID}}}
}

func poorFleet() map[string]pluginapi.CanisterStatus {
	return map[string]pluginapi.CanisterStatus{
		richID: {Status: pluginapi.StatusRunning, Cycles: cycles(1 << 60), MemorySize: 1 << 20},
		poorID: {Status: pluginapi.StatusRunning, Cycles: cycles(1), MemorySize: 1 << 20},
	}
}

// TestPreflightUsesThePluginsPreflightRPC: a plugin advertising the
// preflight capability answers the engine's preflight in one Preflight
// call; its status detail carries the balances the cycles check needs.
func TestPreflightUsesThePluginsPreflightRPC(t *testing.T) {
	p := &statusPlugin{caps: []string{string(pluginapi.CapabilityPreflight)}, statuses: poorFleet()}
	err := New(p, "status", "local").checkTargets(context.Background(), twoTargets())
	var ce *runner.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "cycles", ce.Status)
	assert.Contains(t, ce.Message, "canister "+poorID+": balance 1 cycles")
	assert.NotContains(t, ce.Message, "canister "+richID)
	assert.Equal(t, 1, p.preflightCalls)
	assert.Equal(t, 0, p.statusCalls, "no per-target status reads beside the Preflight RPC")
}

// TestPreflightOfAnOlderPluginReadsStatusesItself: a plugin whose
// Preflight sends no status detail (built before the field) or that does
// not advertise the capability is checked the same way, by per-target
// CanisterStatus reads.
func TestPreflightOfAnOlderPluginReadsStatusesItself(t *testing.T) {
	for name, p := range map[string]*statusPlugin{
		"legacy preflight": {caps: []string{string(pluginapi.CapabilityPreflight)}, statuses: poorFleet(), legacy: true},
		"no preflight":     {statuses: poorFleet()},
	} {
		t.Run(name, func(t *testing.T) {
			err := New(p, "status", "local").checkTargets(context.Background(), twoTargets())
			var ce *runner.CommandError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "cycles", ce.Status)
			assert.Contains(t, ce.Message, "canister "+poorID+": balance 1 cycles")
			assert.Equal(t, 2, p.statusCalls)
		})
	}
}

// TestPreflightTargetErrorReadsAsAStatusError: a target the plugin cannot
// read fails the preflight with the plugin's code and the executor-named
// message, whether it came through the Preflight RPC or a CanisterStatus
// read.
func TestPreflightTargetErrorReadsAsAStatusError(t *testing.T) {
	for name, caps := range map[string][]string{"rpc": {string(pluginapi.CapabilityPreflight)}, "status": nil} {
		t.Run(name, func(t *testing.T) {
			fleet := poorFleet()
			delete(fleet, poorID)
			p := &statusPlugin{caps: caps, statuses: fleet}
			err := New(p, "status", "local").checkTargets(context.Background(), twoTargets())
			var ce *runner.CommandError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "not-found", ce.Status)
			assert.Equal(t, `executor "status": canister `+poorID+` not found`, ce.Message)
		})
	}
}
