package plan

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
)

// TODO(plan): switch to core/principal once the "wire" engineer commits it.

var principalB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

var errBadPrincipal = errors.New("invalid principal text")

// principalCanonical validates IC principal text (§0.4) and returns its
// canonical lower-case, dash-grouped rendering.
func principalCanonical(text string) (string, error) {
	lower := strings.ToLower(text)
	raw, err := principalB32.DecodeString(strings.ToUpper(strings.ReplaceAll(lower, "-", "")))
	if err != nil || len(raw) < 4 || len(raw)-4 > 29 {
		return "", errBadPrincipal
	}
	if crc32.ChecksumIEEE(raw[4:]) != binary.BigEndian.Uint32(raw[:4]) {
		return "", errBadPrincipal
	}
	enc := strings.ToLower(principalB32.EncodeToString(raw))
	var b strings.Builder
	for i := 0; i < len(enc); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(enc[i:min(i+5, len(enc))])
	}
	if b.String() != lower {
		return "", errBadPrincipal
	}
	return b.String(), nil
}
