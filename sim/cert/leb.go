package cert

// LEB128 encodes n as unsigned LEB128, the encoding of nat values in the
// state tree (for example /time).
func LEB128(n uint64) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}
