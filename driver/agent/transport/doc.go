// Package transport speaks the Internet Computer's HTTP interface for the
// agent driver: signed update calls through the v4 synchronous call endpoint
// (falling back to v2 call when a replica answers 404), request-status
// polling through v3 read_state (v2 on 404), and verification of every
// certificate against the root key — BLS signature, delegation (agent-go's
// certification package) and freshness of the certified /time, which
// agent-go does not check.
//
// agent-go v0.4.5 supplies identities, request ids, signing, hash trees and
// certificate checks; this package replaces only its v2-only HTTP client.
// It sends no queries: every answer it returns comes out of a certificate.
package transport
