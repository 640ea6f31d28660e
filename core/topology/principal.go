package topology

import "github.com/canic-backup/canic-backup/core/principal"

// canonicalPrincipal validates principal text (any case) and returns its
// canonical rendering.
func canonicalPrincipal(text string) (string, error) {
	p, err := principal.Parse(text)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}
