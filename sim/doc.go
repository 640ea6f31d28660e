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
//
// It behaves like mainnet where a client can tell: reject codes come in the
// IC's pairs; calls the IC refuses before execution are answered
// non_replicated_rejection (never certified); messages over 2 MiB get 413;
// cycles are charged to the target canister with internal/cyclecost's model
// and a canister that cannot pay or would freeze gets IC0207; and, when
// configured, the boundary node rate-limits (429 + Retry-After, RateLimit)
// and stops take time and can time out with IC0206 (StopDelay,
// StopTimeout). See docs/drivers.md.
package sim
