// Package agent is the canic-backup executor that speaks the Internet
// Computer's HTTP interface directly, without icp or dfx.
//
// New builds an *Executor (a pluginapi.Executor) from Settings, which the
// host reads from TOML (url, root_key, identity_pem, chunk_concurrency,
// max_in_flight, ingress_expiry, poll_timeout, max_certificate_age,
// retry_*). The integration serves it as a plugin process with
// pluginapi.Serve; WithLimiter shares one in-flight cap across executors.
//
// Trust: every answer the executor uses comes out of a certificate that is
// checked against the root key (BLS signature and delegation, via agent-go)
// and whose certified /time is fresh (max_certificate_age; agent-go does not
// check it). The executor sends no queries at all: canister_status,
// list_canister_snapshots and also canic_subnet_registry — a query method —
// are sent as replicated update calls, whose replies are certified by the
// subnet. Topology therefore never comes from an unverified query reply
// (agent-go does not verify query node signatures).
//
// Transport (subpackage transport): v4 synchronous call, v3 read_state for
// polling, v2 on a 404. A call whose answer was lost is resolved from the
// certified request status; a status of "done" without reply
// (transport.ErrResponseLost) makes take_canister_snapshot and
// upload_canister_snapshot_metadata reconcile by listing the canister's
// snapshots instead of creating a second one; idempotent calls are retried
// with bounded exponential backoff and jitter, as are reject code 2 and
// network failures.
//
// Transfers write and read icp's directory layout (metadata.json
// byte-identical to icp 1.5.0's, wasm_module.bin, wasm_memory.bin,
// stable_memory.bin, wasm_chunk_store/<hash>.bin) in 2,000,000-byte chunks,
// chunk_concurrency at a time per transfer and max_in_flight per process,
// written at their offsets. Finished chunks are recorded (durable atomic
// writes through core/layout, at most every 250ms and on exit, after fsync
// of the data) in .canic_download_progress.json inside a download's
// directory, and for an upload outside the directory it reads, under
// os.UserCacheDir()/canic-backup/uploads (a restore uploads from backup
// artifacts, which must not change). An interrupted transfer so resumes
// without reading or sending finished chunks again; the record is removed
// on success. Memory stays near chunk size × chunks in flight.
package agent
