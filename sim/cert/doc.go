// Package cert builds the certified state trees and BLS-signed certificates
// that the simulated IC subnet returns: hash trees with strictly ordered
// labels, the DER-encoded root key, the root subnet id, and certificates
// signed with BLS12-381 exactly as a root subnet signs them (never with a
// delegation).
package cert
