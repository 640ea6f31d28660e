// Package icnet knows which URLs are the Internet Computer's own, the only
// ones for which the IC mainnet root key may be assumed.
package icnet

import (
	"net/url"
	"strings"
)

// MainnetDomains are the IC's own API domains; their subdomains count too.
var mainnetDomains = []string{"icp-api.io", "ic0.app", "icp0.io"}

// MainnetDomainList is the domains for messages.
const MainnetDomainList = "icp-api.io, ic0.app, icp0.io and their subdomains"

// IsMainnetHost reports whether host (no port) is one of the IC's domains
// or a subdomain of one.
func IsMainnetHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range mainnetDomains {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// IsMainnetURL reports whether raw is an https URL of the IC's own
// domains. Plain http is never mainnet: the IC serves only https.
func IsMainnetURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && IsMainnetHost(u.Hostname())
}
