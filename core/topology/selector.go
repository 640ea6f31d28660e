package topology

import (
	"errors"
	"fmt"
	"strings"

	"github.com/canic-backup/canic-backup/core/registry"
)

// Sentinels for selector resolution failures (checked with errors.Is).
var (
	ErrEmptySelector     = errors.New("field selector must not be empty")
	ErrUnknownSelector   = errors.New("unknown backup selector")
	ErrAmbiguousSelector = errors.New("ambiguous backup selector")
)

// SelectorError reports a selector that matched no or several canisters.
type SelectorError struct {
	// Kind is ErrUnknownSelector or ErrAmbiguousSelector.
	Kind error
	// Selector is the operator's text.
	Selector string
	// Matches lists the matched pids in registry order (ambiguous only).
	Matches []string
}

// Error returns 0.35.1's texts.
func (e *SelectorError) Error() string {
	if errors.Is(e.Kind, ErrAmbiguousSelector) {
		quoted := make([]string, len(e.Matches))
		for i, m := range e.Matches {
			quoted[i] = fmt.Sprintf("%q", m)
		}
		return fmt.Sprintf("backup selector %s matched multiple canisters: [%s]", e.Selector, strings.Join(quoted, ", "))
	}
	return fmt.Sprintf("backup selector %s did not match a live topology node", e.Selector)
}

// Unwrap returns the sentinel kind.
func (e *SelectorError) Unwrap() error { return e.Kind }

// ResolveSelector resolves an operator selector to one registry pid. A
// selector that parses as a principal must name a registry pid (compared in
// canonical form, so case does not matter); otherwise it is a role and must match exactly one entry.
func ResolveSelector(entries []registry.Entry, selector string) (string, error) {
	if strings.TrimSpace(selector) == "" {
		return "", ErrEmptySelector
	}
	if want, err := canonicalPrincipal(selector); err == nil {
		// 0.35.1 compared raw text, so an upper-case principal never
		// matched; compare canonical forms instead.
		for _, e := range entries {
			if got, err := canonicalPrincipal(e.Pid); err == nil && got == want {
				return e.Pid, nil
			}
		}
		return "", &SelectorError{Kind: ErrUnknownSelector, Selector: selector}
	}
	var matches []string
	for _, e := range entries {
		if e.Role != nil && *e.Role == selector {
			matches = append(matches, e.Pid)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", &SelectorError{Kind: ErrUnknownSelector, Selector: selector}
	default:
		return "", &SelectorError{Kind: ErrAmbiguousSelector, Selector: selector, Matches: matches}
	}
}
