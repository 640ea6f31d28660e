package transport

import (
	"fmt"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
)

// maxClockSkew is how far in the future a certified /time may lie.
const maxClockSkew = 5 * time.Minute

// verify decodes a certificate, checks its signature and delegation
// against the root key for ecid (package certificate: both forms of
// delegated canister ranges, ecid inside them, no nested delegation), and
// checks that its /time is fresh.
func (c *Client) verify(raw []byte, ecid principal.Principal) (hashtree.HashTree, error) {
	cert, err := c.certs.Verify(raw, ecid)
	if err != nil {
		return hashtree.HashTree{}, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if err := CheckTime(cert.Tree, c.cfg.Now(), c.cfg.MaxCertAge); err != nil {
		return hashtree.HashTree{}, err
	}
	return cert.Tree, nil
}

// CheckTime checks the certified /time of tree: not older than maxAge
// before now and not more than five minutes ahead. A stale certificate
// matches ErrTransient (a replica lagging behind, or a replayed answer);
// a missing or malformed /time matches ErrCertificate.
func CheckTime(tree hashtree.HashTree, now time.Time, maxAge time.Duration) error {
	raw, err := tree.Lookup(hashtree.Label("time"))
	if err != nil {
		return fmt.Errorf("%w: no certified /time: %v", ErrCertificate, err)
	}
	ns, err := leb128(raw)
	if err != nil {
		return fmt.Errorf("%w: certified /time: %v", ErrCertificate, err)
	}
	at := time.Unix(0, int64(ns))
	if maxAge > 0 && now.Sub(at) > maxAge {
		return transient(nil, "certificate is stale: certified time %s is %s before now (at most %s allowed)",
			at.UTC().Format(time.RFC3339Nano), now.Sub(at).Round(time.Millisecond), maxAge)
	}
	if at.Sub(now) > maxClockSkew {
		return fmt.Errorf("%w: certified time %s is %s ahead of the local clock", ErrCertificate,
			at.UTC().Format(time.RFC3339Nano), at.Sub(now).Round(time.Millisecond))
	}
	return nil
}
