// Package sim is a local Internet Computer simulator served over real HTTP
// on loopback. It speaks the IC HTTP interface that DFINITY's icp CLI 1.5.0
// and the agent executor use — /api/v2/status, call on v2 (202 +
// read_state polling), v3 and v4 (synchronous, certified), read_state and
// query on v2 and v3 — authenticates senders, and executes calls on a
// sim/replica engine. By default it has the mainnet shape (Options.Subnets):
// an NNS subnet whose BLS12-381 key is the root key and which holds none of
// the fleet, and application subnets with their own keys and canister
// ranges, whose certificates carry the NNS delegation in the form the
// replica uses for each endpoint.
//
// Tests start one with Start (or sim/simtest.Start) and drive it with real
// clients; fault knobs (latency, transient rejects, lost responses,
// in-flight caps) are adjustable at runtime with SetFaults, and per-method
// call counters are readable with Counters or GET /_sim/counters.
package sim
