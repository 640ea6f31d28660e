// Package certificate decodes and verifies the Internet Computer's
// certificates in pure Go: the BLS signature over ds("ic-state-root") ‖
// root hash, and, for canisters on application subnets, the delegation
// signed by the NNS (root) subnet, with the effective canister id checked
// against the delegated canister ranges in whichever form the delegation
// carries them (the sharded /canister_ranges/<subnet_id>/<shard> form of the
// v3/v4 endpoints, or the flat /subnet/<subnet_id>/canister_ranges form of
// the v2 ones). Nested delegations are refused. No check can be turned off.
package certificate
