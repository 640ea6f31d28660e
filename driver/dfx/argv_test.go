package dfx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	cid  = "rrkah-fqaaa-aaaaa-aaaaq-cai"
	snap = "000000000000000000000000000000010101"
)

func join(a []string) string { return strings.Join(a, " ") }

func TestICPArgvFlagsFollowTheSubcommand(t *testing.T) {
	url := selection{flavor: FlavorICP, network: "http://127.0.0.1:4943", rootKey: "fetch", identity: "ops"}
	tail := " -n http://127.0.0.1:4943 -k fetch --identity ops"
	cases := map[string][]string{
		"canister status " + cid + " --json":                                       icpStatusArgv(url, cid),
		"canister stop " + cid:                                                     icpStopArgv(url, cid),
		"canister start " + cid:                                                    icpStartArgv(url, cid),
		"canister snapshot create " + cid + " --json":                              icpCreateArgv(url, cid),
		"canister snapshot list " + cid + " --json":                                icpListArgv(url, cid),
		"canister snapshot delete " + cid + " " + snap:                             icpDeleteArgv(url, cid, snap),
		"canister snapshot download " + cid + " " + snap + " --output /d":          icpDownloadArgv(url, cid, snap, "/d", false),
		"canister snapshot download " + cid + " " + snap + " --output /d --resume": icpDownloadArgv(url, cid, snap, "/d", true),
		"canister snapshot upload " + cid + " --input /d --json":                   icpUploadArgv(url, cid, "/d", false),
		"canister snapshot upload " + cid + " --input /d --json --resume":          icpUploadArgv(url, cid, "/d", true),
		"canister snapshot restore " + cid + " " + snap:                            icpLoadArgv(url, cid, snap),
		"canister call " + cid + " canic_subnet_registry () --query --json":        icpRegistryArgv(url, cid),
	}
	for want, got := range cases {
		assert.Equal(t, want+tail, join(got))
	}
	assert.Equal(t, "identity principal --identity ops", join(icpPrincipalArgv(url)))
	assert.Equal(t, "identity import x --from-pem /k.pem --storage plaintext", join(icpImportArgv("x", "/k.pem")))

	env := selection{flavor: FlavorICP, environment: "staging"}
	assert.Equal(t, "canister stop "+cid+" -e staging", join(icpStopArgv(env, cid)), "-e replaces -n, no identity flag for the default identity")
	named := selection{flavor: FlavorICP, network: "ic"}
	assert.Equal(t, "canister stop "+cid+" -n ic", join(icpStopArgv(named, cid)), "a named network takes no root key")
}

func TestDfxArgvOfEveryOperation(t *testing.T) {
	n := selection{flavor: FlavorDFX, network: "ic", identity: "ops"}
	tail := " --network ic --identity ops"
	cases := map[string][]string{
		"canister status " + cid:                                                  dfxStatusArgv(n, cid),
		"canister stop " + cid:                                                    dfxStopArgv(n, cid),
		"canister start " + cid:                                                   dfxStartArgv(n, cid),
		"canister snapshot create " + cid:                                         dfxCreateArgv(n, cid),
		"canister snapshot list " + cid:                                           dfxListArgv(n, cid),
		"canister snapshot delete " + cid + " " + snap:                            dfxDeleteArgv(n, cid, snap),
		"canister snapshot download " + cid + " " + snap + " --dir /d":            dfxDownloadArgv(n, cid, snap, "/d", false),
		"canister snapshot download " + cid + " " + snap + " --dir /d --resume":   dfxDownloadArgv(n, cid, snap, "/d", true),
		"canister snapshot upload " + cid + " --dir /d":                           dfxUploadArgv(n, cid, "/d", ""),
		"canister snapshot upload " + cid + " --dir /d --resume " + snap:          dfxUploadArgv(n, cid, "/d", snap),
		"canister snapshot load " + cid + " " + snap:                              dfxLoadArgv(n, cid, snap),
		"canister call " + cid + " canic_subnet_registry () --query --output raw": dfxRegistryArgv(n, cid),
	}
	for want, got := range cases {
		assert.Equal(t, want+tail, join(got))
	}
	assert.Equal(t, "identity get-principal --identity ops", join(dfxPrincipalArgv(n)))
	url := selection{flavor: FlavorDFX, network: "http://127.0.0.1:4943", rootKey: "ignored"}
	assert.Equal(t, "canister stop "+cid+" --network http://127.0.0.1:4943", join(dfxStopArgv(url, cid)), "dfx fetches the root key itself")
}

func TestDisplayShortensRootKeys(t *testing.T) {
	key := strings.Repeat("ab", 133)
	assert.Equal(t, `icp canister -k abababab…abababab "a b"`, display("icp", []string{"canister", "-k", key, "a b"}))
}
