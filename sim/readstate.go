package sim

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/fxamacker/cbor/v2"
)

// Canister ranges of a single simulated subnet: every id of the form
// <8 bytes> ‖ 0x01 0x01 that replica allocates.
var (
	rangeLow  = []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	rangeHigh = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 1}
)

// handleReadState serves /api/v2|v3/{canister,subnet}/<id>/read_state: a
// certificate over /time and the requested paths.
func (s *Simulator) handleReadState(w http.ResponseWriter, r *http.Request) {
	ver, ok := s.endpoint(w, r, "read_state", "v2", "v3")
	if !ok {
		return
	}
	env, ecid, ok := s.readEnvelope(w, r, envelope.TypeReadState)
	if !ok {
		return
	}
	sn := s.subnetFor(ecid.Raw)
	if strings.Contains(r.URL.Path, "/subnet/") {
		if sn = s.subnetByID(ecid.Raw); sn == nil {
			s.badRequest(w, http.StatusNotFound, fmt.Sprintf("subnet %s not found", ecid))
			return
		}
	}
	var tree cert.Tree
	tree.InsertString(cert.LEB128(uint64(s.now().UnixNano())), "time")
	for _, path := range env.Content.Paths {
		if len(path) == 0 {
			continue
		}
		code, msg := s.certifyPath(&tree, sn, ver, path, env.Content.Sender, ecid.Raw)
		if code != 0 {
			s.badRequest(w, code, msg)
			return
		}
	}
	c, err := s.sign(sn, tree.Node(), ver == "v3")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeCBOR(w, http.StatusOK, map[string]any{"certificate": c})
}

// certifyPath adds what path asks for to tree, or returns an HTTP error.
func (s *Simulator) certifyPath(tree *cert.Tree, sn *subnet, ver string, path [][]byte, sender, ecid []byte) (int, string) {
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
		sn.insertSubnet(tree, ver == "v2")
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
