package principal_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// Canister ids that appear in the 0.35.1 goldens.
var goldenIDs = []string{
	"r7inp-6aaaa-aaaaa-aaabq-cai",
	"renrk-eyaaa-aaaaa-aaada-cai",
	"rno2w-sqaaa-aaaaa-aaacq-cai",
	"rrkah-fqaaa-aaaaa-aaaaq-cai",
	"ryjl3-tyaaa-aaaaa-aaaba-cai",
	"qoctq-giaaa-aaaaa-aaaea-cai",
}

func TestParseValid(t *testing.T) {
	for _, id := range append(goldenIDs, "aaaaa-aa", "2vxsx-fae") {
		p, err := principal.Parse(id)
		require.NoError(t, err, id)
		assert.Equal(t, id, p.String())
		assert.True(t, principal.Valid(id))
		back, err := principal.FromBytes(p.Bytes())
		require.NoError(t, err)
		assert.Equal(t, p, back)
	}
	p, err := principal.Parse("aaaaa-aa")
	require.NoError(t, err)
	assert.Empty(t, p.Bytes())
	assert.Equal(t, principal.Management, p)
	anon, err := principal.Parse("2vxsx-fae")
	require.NoError(t, err)
	assert.Equal(t, []byte{4}, anon.Bytes(), "anonymous principal")
	cid, err := principal.Parse("rrkah-fqaaa-aaaaa-aaaaq-cai")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, cid.Bytes())
}

func TestParseUpperCaseAccepted(t *testing.T) {
	p, err := principal.Parse("R7INP-6AAAA-AAAAA-AAABQ-CAI")
	require.NoError(t, err)
	assert.Equal(t, "r7inp-6aaaa-aaaaa-aaabq-cai", p.String())
}

func TestParseRejects(t *testing.T) {
	cases := map[string]error{
		"":                                 principal.ErrEmpty,
		"-":                                principal.ErrEmpty,
		"aoctq-giaaa-aaaaa-aaaea-cai":      principal.ErrChecksum, // golden 09: bad CRC prefix
		"r7inp6aaaa-aaaaa-aaabq-cai":       principal.ErrNotCanonical,
		"r7inp-6aaaa-aaaaa-aaabq-ca-i":     principal.ErrNotCanonical,
		"r7inp-6aaaa-aaaaa-aaabq-cai-":     principal.ErrNotCanonical,
		"-r7inp-6aaaa-aaaaa-aaabq-cai":     principal.ErrNotCanonical,
		"r7inp-6aaaa-aaaaa-aaabq-ca1":      principal.ErrBase32,
		"r7inp 6aaaa-aaaaa-aaabq-cai":      principal.ErrBase32,
		"aaa":                              principal.ErrTooShort,
		"renr\u212a-eyaaa-aaaaa-aaada-cai": principal.ErrBase32, // Kelvin sign is not ASCII 'k'
		"canic-cli":                        principal.ErrChecksum,
		strings.Repeat("aaaaa-", 11) + "a": principal.ErrTooLong,
	}
	for in, want := range cases {
		_, err := principal.Parse(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, want, "%q: %v", in, err)
		assert.Contains(t, err.Error(), "invalid principal")
		assert.False(t, principal.Valid(in))
	}
}

func TestFromBytesLimit(t *testing.T) {
	p, err := principal.FromBytes(make([]byte, 29))
	require.NoError(t, err)
	back, err := principal.Parse(p.String())
	require.NoError(t, err)
	assert.Equal(t, p, back)
	_, err = principal.FromBytes(make([]byte, 30))
	require.ErrorIs(t, err, principal.ErrTooLong)
}

func TestTextMarshalingThroughWire(t *testing.T) {
	var v struct {
		ID principal.Principal `json:"id"`
	}
	require.NoError(t, wire.Unmarshal([]byte(`{"id":"r7inp-6aaaa-aaaaa-aaabq-cai"}`), &v))
	out, err := wire.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"id":"r7inp-6aaaa-aaaaa-aaabq-cai"}`, string(out))
	err = wire.Unmarshal([]byte(`{"id":"aoctq-giaaa-aaaaa-aaaea-cai"}`), &v)
	require.ErrorIs(t, err, principal.ErrChecksum)
	assert.Contains(t, err.Error(), "$.id")
}

func TestGoldenPlanPrincipalsValid(t *testing.T) {
	var plan struct {
		Targets []struct {
			CanisterID string `json:"canister_id"`
		} `json:"targets"`
	}
	require.NoError(t, wire.Unmarshal(golden.Read(t, "backup/backup-plan.json"), &plan))
	require.NotEmpty(t, plan.Targets)
	for _, tg := range plan.Targets {
		assert.True(t, principal.Valid(tg.CanisterID), tg.CanisterID)
	}
}

func FuzzParse(f *testing.F) {
	for _, id := range goldenIDs {
		f.Add(id)
	}
	f.Add("aaaaa-aa")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := principal.Parse(text)
		if err != nil {
			return
		}
		for _, r := range text {
			if r >= 0x80 {
				t.Fatalf("accepted non-ASCII input %q", text)
			}
		}
		if p.String() != strings.ToLower(text) {
			t.Fatalf("accepted %q renders as %q", text, p.String())
		}
		if len(p.Bytes()) > principal.MaxLength {
			t.Fatalf("accepted %d bytes", len(p.Bytes()))
		}
	})
}
