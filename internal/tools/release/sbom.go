package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// sbomSubject describes the binary an SBOM is about.
type sbomSubject struct {
	version      string
	commit       string
	target       target
	binarySHA256 string
	epoch        time.Time
}

// purl is a Go module's package URL.
func purl(path, version string) string {
	return "pkg:golang/" + path + "@" + version
}

// moduleHashes turns a go.sum hash ("h1:<base64 sha256>") into CycloneDX
// hashes: the SHA-256 of the module's dirhash, in hex. Other schemes are
// left out (the raw value stays in the "go:module:sum" property).
func moduleHashes(sum string) *[]cdx.Hash {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return nil
	}
	return &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(raw)}}
}

// writeSBOM writes a CycloneDX JSON SBOM of the modules info's binary
// links, sorted by path, stamped with the subject's epoch (no random
// serial number, so the same build gives the same bytes).
func writeSBOM(w io.Writer, info *debug.BuildInfo, s sbomSubject) error {
	mainRef := purl(info.Main.Path, s.version) + "?goos=" + s.target.goos + "&goarch=" + s.target.goarch
	deps := append([]*debug.Module(nil), info.Deps...)
	sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
	components := make([]cdx.Component, 0, len(deps))
	refs := make([]string, 0, len(deps))
	for _, d := range deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		ref := purl(m.Path, m.Version)
		props := []cdx.Property{{Name: "go:module:sum", Value: m.Sum}}
		if d.Replace != nil {
			props = append(props, cdx.Property{Name: "go:module:replaces", Value: d.Path + "@" + d.Version})
		}
		components = append(components, cdx.Component{
			BOMRef:     ref,
			Type:       cdx.ComponentTypeLibrary,
			Name:       m.Path,
			Version:    m.Version,
			PackageURL: ref,
			Hashes:     moduleHashes(m.Sum),
			Properties: &props,
		})
		refs = append(refs, ref)
	}
	settings := []cdx.Property{
		{Name: "go:toolchain", Value: info.GoVersion},
		{Name: "vcs:revision", Value: s.commit},
	}
	for _, st := range info.Settings {
		settings = append(settings, cdx.Property{Name: "go:build:" + st.Key, Value: st.Value})
	}
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Timestamp: s.epoch.UTC().Format(time.RFC3339),
		Component: &cdx.Component{
			BOMRef:     mainRef,
			Type:       cdx.ComponentTypeApplication,
			Name:       "canic-backup",
			Version:    s.version,
			PackageURL: mainRef,
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: s.binarySHA256}},
		},
		Properties: &settings,
	}
	bom.Components = &components
	dependencies := []cdx.Dependency{{Ref: mainRef, Dependencies: &refs}}
	for _, r := range refs {
		dependencies = append(dependencies, cdx.Dependency{Ref: r})
	}
	bom.Dependencies = &dependencies
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("encode SBOM: %w", err)
	}
	return nil
}
