package main

import (
	"crypto/sha256"
	"math"
	"time"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/driver/agent/mgmt"
)

// lowerBound is the best time the simulated network allows a backup of
// the fleet (issue 22): the downtime window needs one update latency per
// stop level, one for the snapshots and one per start level; the wall
// time adds ceil(read chunks / chunks in flight) update latencies for the
// downloads and hashing every byte once.
type lowerBound struct {
	// DowntimeSeconds is latency × (stop levels + 1 + start levels).
	DowntimeSeconds float64 `json:"downtime_seconds"`
	// WallSeconds is DowntimeSeconds + ceil(Chunks/InFlight) × latency +
	// the fleet's bytes at HashMiBps.
	WallSeconds float64 `json:"wall_seconds"`
	// Chunks is the number of read_canister_snapshot_data calls of the
	// fleet (each at most mgmt.MaxSliceBytes), InFlight the agent
	// executor's chunk calls in flight.
	Chunks   int `json:"read_chunks"`
	InFlight int `json:"chunks_in_flight"`
	// HashMiBps is this machine's sha256 rate (in memory).
	HashMiBps float64 `json:"hash_mib_per_s"`
}

// networkBound computes the lower bound of o's fleet.
func networkBound(o options) lowerBound {
	lat := o.Latency.Seconds()
	levels := max(o.Depth, 1)
	b := lowerBound{DowntimeSeconds: lat * float64(levels+1+levels)}
	perCanister := int((uint64(o.Size) + mgmt.MaxSliceBytes - 1) / mgmt.MaxSliceBytes)
	b.Chunks = perCanister * o.targets()
	d := agent.DefaultSettings()
	b.InFlight = d.MaxInFlight
	if o.AgentMaxInFlight > 0 {
		b.InFlight = o.AgentMaxInFlight
	}
	b.InFlight = max(1, min(b.InFlight, d.ChunkConcurrency*o.targets()))
	b.HashMiBps = sha256Rate()
	rounds := math.Ceil(float64(b.Chunks) / float64(b.InFlight))
	hash := 0.0
	if b.HashMiBps > 0 {
		hash = float64(o.Size) * float64(o.targets()) / (1 << 20) / b.HashMiBps
	}
	b.WallSeconds = b.DowntimeSeconds + rounds*lat + hash
	return b
}

// sha256Rate measures sha256 over 64 MiB in memory, in MiB/s.
func sha256Rate() float64 {
	buf := make([]byte, 1<<20)
	h := sha256.New()
	start := time.Now()
	for range 64 {
		h.Write(buf)
	}
	_ = h.Sum(nil)
	return 64 / time.Since(start).Seconds()
}
