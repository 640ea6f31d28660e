package manifest

import (
	"encoding/base32"
	"hash/crc32"
	"strings"
)

// validPrincipal reports whether s is a textual IC principal as
// candid::Principal::from_str accepts it (reference §0.4): case-insensitive,
// CRC-32 checked, canonical dash grouping.
// TODO(manifest): use core/principal once it is committed.
func validPrincipal(s string) bool {
	lower := strings.ToLower(s)
	compact := strings.ReplaceAll(lower, "-", "")
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	raw, err := enc.DecodeString(strings.ToUpper(compact))
	if err != nil || len(raw) < 4 || len(raw)-4 > 29 {
		return false
	}
	sum := crc32.ChecksumIEEE(raw[4:])
	if raw[0] != byte(sum>>24) || raw[1] != byte(sum>>16) || raw[2] != byte(sum>>8) || raw[3] != byte(sum) {
		return false
	}
	canon := strings.ToLower(enc.EncodeToString(raw))
	var b strings.Builder
	for i := 0; i < len(canon); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(canon[i:min(i+5, len(canon))])
	}
	return b.String() == lower
}
