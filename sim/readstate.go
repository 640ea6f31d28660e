package sim

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/fxamacker/cbor/v2"
)

// Canister ranges of the simulated subnet: every id of the form
// <8 bytes> ‖ 0x01 0x01 that replica allocates.
var (
	rangeLow  = []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	rangeHigh = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 1}
)

// handleReadState serves /api/v2|v3/{canister,subnet}/<id>/read_state: a
// certificate over /time and the requested paths.
func (s *Simulator) handleReadState(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.endpoint(w, r, "read_state", "v2", "v3"); !ok {
		return
	}
	env, ecid, ok := s.readEnvelope(w, r, envelope.TypeReadState)
	if !ok {
		return
	}
	var tree cert.Tree
	tree.InsertString(cert.LEB128(uint64(s.now().UnixNano())), "time")
	for _, path := range env.Content.Paths {
		if len(path) == 0 {
			continue
		}
		code, msg := s.certifyPath(&tree, path, env.Content.Sender, ecid.Raw)
		if code != 0 {
			s.badRequest(w, code, msg)
			return
		}
	}
	c, err := s.signer.Sign(tree.Node())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeCBOR(w, http.StatusOK, map[string]any{"certificate": c})
}

// certifyPath adds what path asks for to tree, or returns an HTTP error.
func (s *Simulator) certifyPath(tree *cert.Tree, path [][]byte, sender, ecid []byte) (int, string) {
	switch string(path[0]) {
	case "request_status":
		if len(path) < 2 {
			return http.StatusBadRequest, "path /request_status needs a request id"
		}
		st := s.reqs.get(path[1])
		if st == nil {
			return 0, ""
		}
		if !bytes.Equal(st.sender, sender) {
			return http.StatusForbidden, fmt.Sprintf("request %x was not sent by %s", path[1], principal.Principal{Raw: sender})
		}
		s.insertRequestStatus(tree, path[1], st)
	case "canister":
		if len(path) < 2 {
			return http.StatusBadRequest, "path /canister needs a canister id"
		}
		if !bytes.Equal(path[1], ecid) {
			return http.StatusBadRequest, fmt.Sprintf("canister %s in path /canister is not the effective canister id %s",
				principal.Principal{Raw: path[1]}, principal.Principal{Raw: ecid})
		}
		s.insertCanister(tree, path[1])
	case "subnet", "canister_ranges":
		s.insertSubnet(tree)
	}
	return 0, ""
}

func (s *Simulator) insertCanister(tree *cert.Tree, id []byte) {
	ctrls, ok := s.rep.Controllers(id)
	if !ok {
		return
	}
	if ctrls == nil {
		ctrls = [][]byte{}
	}
	if b, err := cbor.Marshal(cbor.Tag{Number: cert.SelfDescribeTag, Content: ctrls}); err == nil {
		tree.Insert(b, []byte("canister"), id, []byte("controllers"))
	}
	if h, ok := s.rep.ModuleHash(id); ok && h != nil {
		tree.Insert(h, []byte("canister"), id, []byte("module_hash"))
	}
}

// insertSubnet certifies the subnet's public key, canister ranges (in both
// the /subnet/<sid>/canister_ranges and /canister_ranges/<sid>/<lo> forms)
// and node public keys, which ic-agent reads to verify query signatures.
func (s *Simulator) insertSubnet(tree *cert.Tree) {
	sid := s.signer.SubnetID()
	ranges, err := cbor.Marshal(cbor.Tag{Number: cert.SelfDescribeTag, Content: [][][]byte{{rangeLow, rangeHigh}}})
	if err != nil {
		return
	}
	tree.Insert(s.signer.RootKeyDER(), []byte("subnet"), sid, []byte("public_key"))
	tree.Insert(ranges, []byte("subnet"), sid, []byte("canister_ranges"))
	tree.Insert(s.node.PublicKeyDER(), []byte("subnet"), sid, []byte("node"), s.node.NodeID(), []byte("public_key"))
	tree.Insert(ranges, []byte("canister_ranges"), sid, rangeLow)
}
