// Command bench times a fleet backup three ways against the simulator and
// prints the comparison (issue 9, "fast fleet backups"):
//
//	(a) icp-loop: bench/icp-loop.sh, the icp CLI one call after another
//	    (stop every canister parents first, snapshot every canister, start
//	    every canister children first, download every snapshot);
//	(b) dfx: canic-backup backup create with the dfx executor (icp flavor);
//	(c) agent: canic-backup backup create with the agent executor.
//
// For each it reports the wall time, the fleet's downtime window (first
// stop requested to last start returned) and the peak resident memory of
// the process tree (canic-backup plus its plugin and, for (a) and (b), the
// icp processes), then the ratios a/b and a/c, as a table or with --json.
// It also compares artifact checksumming with sha256sum over the same
// files. Each contender gets a fresh simulator seeded identically.
//
// The contender "store" (= store-dir,store-s3) compares artifact stores
// (issue 11): the agent executor backs the same fleet up with `backup
// create --store` into a "dir" store and into an "s3" store, a bucket of a
// SeaweedFS server the benchmark starts on loopback (internal/seaweed; the
// binary `make weed` caches). It reports each one's wall time, the
// backup's size in the store and MiB/s over the wall time (plus the upload
// rate of the published line), and the s3/dir ratios; both backups are
// verified from their store.
//
//	go run ./bench                       # defaults: root + 7 children of 32 MiB,
//	                                     # 500ms per update call, 50ms per query
//	go run ./bench --size 256MiB --children 1 --contenders agent
//	go run ./bench --contenders store    # dir store vs SeaweedFS bucket
//
// The icp binary is --icp, else $CANIC_ICP_BIN, else icp on PATH.
package main
