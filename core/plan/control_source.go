package plan

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/wire"
)

// ControlAuthorityKind is the `kind` tag of a ControlAuthoritySource.
type ControlAuthorityKind string

// Control authority kinds (kebab-case on the wire).
const (
	ControlUnknown             ControlAuthorityKind = "unknown"
	ControlRootController      ControlAuthorityKind = "root-controller"
	ControlOperatorController  ControlAuthorityKind = "operator-controller"
	ControlAlternateController ControlAuthorityKind = "alternate-controller"
)

var controlKinds = []string{"unknown", "root-controller", "operator-controller", "alternate-controller"}

// MarshalText implements encoding.TextMarshaler.
func (k ControlAuthorityKind) MarshalText() ([]byte, error) {
	return wire.VariantText("ControlAuthorityKind", string(k), controlKinds...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *ControlAuthorityKind) UnmarshalText(text []byte) error {
	v, err := wire.Variant("ControlAuthorityKind", string(text), controlKinds...)
	*k = ControlAuthorityKind(v)
	return err
}

// ControlAuthoritySource is serde's internally tagged enum (tag `kind`):
// {"kind":"unknown"}, {"kind":"root-controller"},
// {"kind":"operator-controller"} or
// {"kind":"alternate-controller","controller":"<principal>","reason":"<text>"}.
// Controller and Reason are only meaningful (and only written) for
// ControlAlternateController.
type ControlAuthoritySource struct {
	Kind       ControlAuthorityKind
	Controller string
	Reason     string
}

// Source returns a unit-variant source of the given kind.
func Source(kind ControlAuthorityKind) ControlAuthoritySource {
	return ControlAuthoritySource{Kind: kind}
}

// AlternateController returns the alternate-controller variant.
func AlternateController(controller, reason string) ControlAuthoritySource {
	return ControlAuthoritySource{Kind: ControlAlternateController, Controller: controller, Reason: reason}
}

type unitSourceWire struct {
	Kind ControlAuthorityKind `json:"kind"`
}

type alternateSourceWire struct {
	Kind       ControlAuthorityKind `json:"kind"`
	Controller string               `json:"controller"`
	Reason     string               `json:"reason"`
}

type sourceDecodeWire struct {
	Kind ControlAuthorityKind `json:"kind"`
}

type alternateDecodeWire struct {
	Controller string `json:"controller"`
	Reason     string `json:"reason"`
}

// MarshalJSON writes the internally tagged form, tag first.
func (s ControlAuthoritySource) MarshalJSON() ([]byte, error) {
	if s.Kind == ControlAlternateController {
		return wire.Marshal(alternateSourceWire{Kind: s.Kind, Controller: s.Controller, Reason: s.Reason})
	}
	return wire.Marshal(unitSourceWire{Kind: s.Kind})
}

// UnmarshalJSON reads the internally tagged form. Extra keys beside a unit
// variant are ignored; alternate-controller requires controller and reason.
func (s *ControlAuthoritySource) UnmarshalJSON(data []byte) error {
	var head sourceDecodeWire
	if err := wire.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("control authority source: %w", err)
	}
	out := ControlAuthoritySource{Kind: head.Kind}
	if head.Kind == ControlAlternateController {
		var alt alternateDecodeWire
		if err := wire.Unmarshal(data, &alt); err != nil {
			return fmt.Errorf("control authority source alternate-controller: %w", err)
		}
		out.Controller, out.Reason = alt.Controller, alt.Reason
	}
	*s = out
	return nil
}

// Label is the kebab-case kind, as CLI tables print it.
func (s ControlAuthoritySource) Label() string { return string(s.Kind) }
