package sim_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// BenchmarkV4Call measures one signed v4 call round trip: envelope decode,
// Ed25519 check, execution and a BLS-signed certificate.
func BenchmarkV4Call(b *testing.B) {
	s := simtest.Start(b, sim.Options{})
	ctrl := s.ControllerIdentity()
	cid := s.Canisters()[0]
	url := fmt.Sprintf("%s/api/v4/canister/%s/call", s.URL(), cid)
	arg := mustArgs(b, canisterArgs{cid})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, data := envelopeBytes(b, ctrl, callRequest(ctrl, mgmt, "list_canister_snapshots", arg, time.Now().Add(time.Minute)))
		resp, err := http.Post(url, "application/cbor", bytesReader(data))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
