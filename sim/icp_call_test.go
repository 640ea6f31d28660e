package sim_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
)

// TestICPQueryAndUpdateCalls makes icp's ic-agent verify a query's node
// signature (it reads /subnet/... to find the node key) and an update's
// certificate, with the root key fetched from /api/v2/status.
func TestICPQueryAndUpdateCalls(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	icp := newICP(t, s)
	cid := s.Canisters()[0]
	did := filepath.Join(t.TempDir(), "app.did")
	assert.NoError(t, os.WriteFile(did, []byte("service : { sim_mutate : (nat64) -> (); sim_digest : () -> (text) query }"), 0o644))
	fetch := []string{"--identity", "sim", "-n", s.URL(), "-k", "fetch", "--candid", did}

	before, _ := s.Replica().Digest(cid.Raw)
	out := icp.mustRun(append([]string{"canister", "call", cid.String(), "sim_digest", "()", "--query"}, fetch...)...)
	assert.Contains(t, out, before)

	icp.mustRun(append([]string{"canister", "call", cid.String(), "sim_mutate", "(9 : nat64)"}, fetch...)...)
	after, _ := s.Replica().Digest(cid.Raw)
	assert.NotEqual(t, before, after)
	out = icp.mustRun(append([]string{"canister", "call", cid.String(), "sim_digest", "()", "--query"}, fetch...)...)
	assert.Contains(t, out, after)
	assert.Equal(t, uint64(2), s.Counters().Queries["sim_digest"])
	assert.Equal(t, uint64(1), s.Counters().Calls["sim_mutate"])
	t.Logf("endpoints: %v", s.Counters().Endpoints)
	assert.Positive(t, s.Counters().Endpoints["v3/query"])
}
