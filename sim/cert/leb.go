package cert

import "github.com/canic-backup/canic-backup/internal/leb128"

// LEB128 encodes n as unsigned LEB128, the encoding of nat values in the
// state tree (for example /time).
func LEB128(n uint64) []byte { return leb128.EncodeUnsigned(n) }
