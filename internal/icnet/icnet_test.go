package icnet

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOnlyTheICsOwnHTTPSURLsAreMainnet(t *testing.T) {
	for _, u := range []string{"https://icp-api.io", "https://ic0.app", "https://icp0.io", "https://ICP-API.IO/",
		"https://boundary.ic0.app", "https://x.y.icp0.io:443/api"} {
		assert.True(t, IsMainnetURL(u), u)
	}
	for _, u := range []string{"http://icp-api.io", "http://127.0.0.1:4943", "https://evil-icp-api.io",
		"https://icp-api.io.evil.com", "https://ic0.app@evil.com", "https://localhost", "not a url", ""} {
		assert.False(t, IsMainnetURL(u), u)
	}
}
