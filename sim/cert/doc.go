// Package cert builds the certified state trees and BLS-signed certificates
// that the simulated IC subnets return: hash trees with strictly ordered
// labels (and pruned to requested paths, as read_state answers are), the
// DER-encoded subnet keys and subnet ids, certificates signed with
// BLS12-381 (internal/icbls) as a subnet signs them, and the NNS subnet's
// delegations to application subnets.
package cert
