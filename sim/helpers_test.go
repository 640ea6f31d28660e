package sim_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	agent "github.com/canic-backup/canic-backup/driver/agent/ingress"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"
)

var mgmt = principal.Principal{Raw: []byte{}}

type canisterArgs struct {
	CanisterID principal.Principal `ic:"canister_id"`
}

type takeArgs struct {
	CanisterID            principal.Principal `ic:"canister_id"`
	ReplaceSnapshot       *[]byte             `ic:"replace_snapshot"`
	UninstallCode         *bool               `ic:"uninstall_code"`
	SenderCanisterVersion *uint64             `ic:"sender_canister_version"`
}

type snapshotArgs struct {
	CanisterID principal.Principal `ic:"canister_id"`
	SnapshotID []byte              `ic:"snapshot_id"`
}

type snapshot struct {
	ID               []byte `ic:"id"`
	TakenAtTimestamp uint64 `ic:"taken_at_timestamp"`
	TotalSize        uint64 `ic:"total_size"`
}

type rangeArg struct {
	Offset uint64 `ic:"offset"`
	Size   uint64 `ic:"size"`
}

type chunkArg struct {
	Hash []byte `ic:"hash"`
}

type dataKind struct {
	WasmModule   *rangeArg `ic:"wasm_module,variant"`
	WasmMemory   *rangeArg `ic:"wasm_memory,variant"`
	StableMemory *rangeArg `ic:"stable_memory,variant"`
	WasmChunk    *chunkArg `ic:"wasm_chunk,variant"`
}

type readDataArgs struct {
	CanisterID principal.Principal `ic:"canister_id"`
	SnapshotID []byte              `ic:"snapshot_id"`
	Kind       dataKind            `ic:"kind"`
}

type readDataResult struct {
	Chunk []byte `ic:"chunk"`
}

// envelopeBytes signs req as id (unsigned when id is anonymous).
func envelopeBytes(t testing.TB, id identity.Identity, req agent.Request) (agent.RequestID, []byte) {
	t.Helper()
	rid := agent.NewRequestID(req)
	env := agent.Envelope{Content: req}
	if _, anon := id.(*identity.AnonymousIdentity); !anon {
		env.SenderPubKey = id.PublicKey()
		env.SenderSig = rid.Sign(id)
	}
	data, err := cbor.Marshal(env)
	require.NoError(t, err)
	return rid, data
}

func callRequest(id identity.Identity, canister principal.Principal, method string, arg []byte, expiry time.Time) agent.Request {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	return agent.Request{
		Type: agent.RequestTypeCall, Sender: id.Sender(), CanisterID: canister, MethodName: method,
		Arguments: arg, IngressExpiry: uint64(expiry.UnixNano()), Nonce: nonce,
	}
}

// rawCall makes a v2 update call and returns the raw candid reply,
// verifying the certificate on every poll (agent-go's RequestStatus does).
func rawCall(t *testing.T, a *simtest.Client, id identity.Identity, ecid principal.Principal, method string, args ...any) ([]byte, error) {
	t.Helper()
	arg, err := idl.Marshal(args)
	require.NoError(t, err)
	rid, data := envelopeBytes(t, id, callRequest(id, mgmt, method, arg, time.Now().Add(time.Minute)))
	if err := a.Submit(ecid, data); err != nil {
		return nil, err
	}
	path := []hashtree.Label{hashtree.Label("request_status"), rid[:]}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		status, node, err := a.RequestStatus(ecid, rid)
		if err != nil {
			return nil, err
		}
		tree := hashtree.NewHashTree(node)
		switch string(status) {
		case "replied":
			return tree.Lookup(append(path, hashtree.Label("reply"))...)
		case "rejected":
			msg, _ := tree.Lookup(append(path, hashtree.Label("reject_message"))...)
			code, _ := tree.Lookup(append(path, hashtree.Label("reject_code"))...)
			return nil, fmt.Errorf("rejected (%v): %s", code, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, fmt.Errorf("timed out waiting for %x", rid)
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/cbor", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func mustArgs(t testing.TB, args ...any) []byte {
	t.Helper()
	b, err := idl.Marshal(args)
	require.NoError(t, err)
	return b
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func agentFor(t *testing.T, s *sim.Simulator) *simtest.Client { return simtest.Agent(t, s, nil) }
