package simfleet

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestConfigTOMLPlacesAdditionsInTheirTables: the agent's extra lines end
// the [executors.sim-agent] table and the icp binary ends the
// [executors.sim-icp] table, the file's last.
func TestConfigTOMLPlacesAdditionsInTheirTables(t *testing.T) {
	info := sim.Info{URL: "http://127.0.0.1:1", RootCanisterID: "aaaaa-aa", RootKeyHex: "00", ControllerPEM: "/k.pem"}
	plain := ConfigTOML(info, "f", ConfigOptions{})
	assert.NotContains(t, plain, "binary")
	assert.Contains(t, plain, "fleet = \"f\"\n")
	got := ConfigTOML(info, "f", ConfigOptions{AgentExtra: []string{`poll_timeout = "3s"`}, ICPBinary: "/bin/icp"})
	agent := got[strings.Index(got, "[executors.sim-agent]"):strings.Index(got, "[executors.sim-icp]")]
	assert.True(t, strings.HasSuffix(agent, "identity_pem = \"/k.pem\"\npoll_timeout = \"3s\"\n\n"), agent)
	assert.True(t, strings.HasSuffix(got, "identity_pem = \"/k.pem\"\nbinary = \"/bin/icp\"\n"), got)
}

// TestMutateChangesTheDigest: Mutate changes one canister's digest and no
// other's; Digest refuses an id that is not a principal or not on the
// simulator.
func TestMutateChangesTheDigest(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "t", Children: 2, Depth: 1, Size: 64 << 10, Seed: 3}})
	var ids []string
	for _, p := range s.Canisters() {
		ids = append(ids, p.String())
	}
	before, err := Digests(s, ids...)
	require.NoError(t, err)
	require.NoError(t, Mutate(context.Background(), s, ids[1], 1000))
	after, err := Digests(s, ids...)
	require.NoError(t, err)
	assert.NotEqual(t, before[ids[1]], after[ids[1]])
	assert.Equal(t, before[ids[0]], after[ids[0]])
	assert.Equal(t, before[ids[2]], after[ids[2]])

	_, err = Digest(s, "not a principal")
	assert.ErrorContains(t, err, "canister not a principal")
	_, err = Digest(s, "ryjl3-tyaaa-aaaaa-aaaba-cai")
	assert.ErrorContains(t, err, "canister ryjl3-tyaaa-aaaaa-aaaba-cai is not on the simulator")
	assert.ErrorContains(t, Mutate(context.Background(), s, "ryjl3-tyaaa-aaaaa-aaaba-cai", 1), "sim_mutate on ryjl3-tyaaa-aaaaa-aaaba-cai")
}
