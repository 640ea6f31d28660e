package restore

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/wire"
)

// Mapping is a restore mapping file (--mapping): which target canister each
// source member is restored onto. A supplied mapping must list every member.
type Mapping struct {
	// Members maps sources to targets.
	Members []MappingEntry `json:"members"`
}

// MappingEntry maps one source canister to its target.
type MappingEntry struct {
	// SourceCanister is the backed-up member's principal.
	SourceCanister string `json:"source_canister"`
	// TargetCanister is the principal restored onto.
	TargetCanister string `json:"target_canister"`
}

// ReadMapping reads and decodes a mapping file (strict serde rules). It does
// not validate; Plan does.
func ReadMapping(path string) (*Mapping, error) {
	data, err := layout.ReadDocument(path, layout.MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	var m Mapping
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// canonical returns the canonical (lower-case) text of a valid principal.
func canonical(text string) (string, bool) {
	p, err := principal.Parse(text)
	if err != nil || text == "" {
		return "", false
	}
	return p.String(), true
}

// validate checks every entry in file order (0.35.1 §2.3). Unlike 0.35.1,
// duplicates are detected on the principal, not on its spelling, so
// "QOCTQ-…" and "qoctq-…" are the same target (golden invalid/16).
func (m *Mapping) validate() error {
	sources := map[string]string{}
	targets := map[string]string{}
	for _, e := range m.Members {
		src, ok := canonical(e.SourceCanister)
		if !ok {
			return newError(CodeInvalidPrincipal, "field mapping.members[].source_canister must be a valid principal: %s", e.SourceCanister).
				withField("mapping.members[].source_canister", e.SourceCanister)
		}
		dst, ok := canonical(e.TargetCanister)
		if !ok {
			return newError(CodeInvalidPrincipal, "field mapping.members[].target_canister must be a valid principal: %s", e.TargetCanister).
				withField("mapping.members[].target_canister", e.TargetCanister)
		}
		if first, dup := sources[src]; dup {
			return newError(CodeDuplicateMappingSource, "mapping contains duplicate source canister %s%s", e.SourceCanister, sameAs(first, e.SourceCanister)).
				withField("mapping.members[].source_canister", e.SourceCanister)
		}
		sources[src] = e.SourceCanister
		if first, dup := targets[dst]; dup {
			return newError(CodeDuplicateMappingTarget, "mapping contains duplicate target canister %s%s", e.TargetCanister, sameAs(first, e.TargetCanister)).
				withField("mapping.members[].target_canister", e.TargetCanister)
		}
		targets[dst] = e.TargetCanister
	}
	return nil
}

// sameAs explains a duplicate that is spelled differently from its first
// occurrence.
func sameAs(first, dup string) string {
	if first == dup {
		return ""
	}
	return fmt.Sprintf(" (the same principal as %s)", first)
}

// targetFor returns the canonical target of source, or false when the
// mapping does not list it.
func (m *Mapping) targetFor(source string) (string, bool) {
	src, _ := canonical(source)
	for _, e := range m.Members {
		if s, _ := canonical(e.SourceCanister); s == src {
			t, _ := canonical(e.TargetCanister)
			return t, true
		}
	}
	return "", false
}
