// Independent check of the simulator with DFINITY's official JavaScript
// agent (npm @icp-sdk/core, pinned in the Makefile): it verifies every
// certificate and query signature the simulator sends against the
// simulator's root key, reads canister status (read_state paths and the
// management canister's canister_status), takes a snapshot and reads its metadata and data, and
// checks that a non-controller's management call comes back as an
// UNCERTIFIED rejection (non_replicated_rejection), as on mainnet.
//
// Usage: node check.mjs <core-module-dir> <sim.json>
// Prints one JSON line with what it saw; exits 1 on any mismatch.
import { readFileSync } from 'node:fs';
import { createPrivateKey, createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [coreDir, infoPath] = process.argv.slice(2);
const load = (sub) => import(pathToFileURL(join(coreDir, 'lib/esm', sub, 'index.js')).href);
const { HttpAgent, Actor, CanisterStatus, AgentError, UncertifiedRejectUpdateErrorCode, CertifiedRejectErrorCode } = await load('agent');
const { IDL } = await load('candid');
const { Ed25519KeyIdentity } = await load('identity');
const { Principal } = await load('principal');

const info = JSON.parse(readFileSync(infoPath, 'utf8'));
const fail = (msg) => { console.error('FAIL: ' + msg); process.exit(1); };
const hex = (b) => Buffer.from(b).toString('hex');

const jwk = createPrivateKey(readFileSync(info.controller_pem, 'utf8')).export({ format: 'jwk' });
const controller = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(Buffer.from(jwk.d, 'base64url')));
if (controller.getPrincipal().toText() !== info.controller_principal) {
  fail(`controller principal ${controller.getPrincipal().toText()} != ${info.controller_principal}`);
}
const rootKey = new Uint8Array(Buffer.from(info.root_key_hex, 'hex'));
const newAgent = (identity) => HttpAgent.create({ host: info.url, identity, rootKey, verifyQuerySignatures: true, retryTimes: 0 });

const mgmtIdl = ({ IDL }) => {
  const canisterId = IDL.Record({ canister_id: IDL.Principal });
  const snapshot = IDL.Record({ id: IDL.Vec(IDL.Nat8), taken_at_timestamp: IDL.Nat64, total_size: IDL.Nat64 });
  const snapArgs = IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) });
  const slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 });
  return IDL.Service({
    canister_status: IDL.Func([canisterId], [IDL.Record({
      status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
      memory_size: IDL.Nat,
      cycles: IDL.Nat,
      idle_cycles_burned_per_day: IDL.Nat,
      module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
      memory_metrics: IDL.Record({ snapshots_size: IDL.Nat }),
    })], []),
    take_canister_snapshot: IDL.Func([IDL.Record({
      canister_id: IDL.Principal, replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)),
      uninstall_code: IDL.Opt(IDL.Bool), sender_canister_version: IDL.Opt(IDL.Nat64),
    })], [snapshot], []),
    list_canister_snapshots: IDL.Func([canisterId], [IDL.Vec(snapshot)], []),
    read_canister_snapshot_metadata: IDL.Func([snapArgs], [IDL.Record({
      wasm_module_size: IDL.Nat64, wasm_memory_size: IDL.Nat64, stable_memory_size: IDL.Nat64,
    })], []),
    read_canister_snapshot_data: IDL.Func([IDL.Record({
      canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8),
      kind: IDL.Variant({ wasm_module: slice, wasm_memory: slice, stable_memory: slice, wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) }) }),
    })], [IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })], []),
  });
};
const mgmt = (agent, target) => Actor.createActor(mgmtIdl, {
  agent, canisterId: Principal.fromText('aaaaa-aa'), effectiveCanisterId: target,
});

const out = {};
const agent = await newAgent(controller);
const target = Principal.fromText(info.canister_ids[info.canister_ids.length - 1]);

// 1. Certified read_state: controllers, module hash, time (certificate verified by the agent).
const paths = await CanisterStatus.request({ canisterId: target, agent, paths: ['time', 'controllers', 'module_hash'] });
const ctrls = (paths.get('controllers') || []).map((p) => p.toText());
if (!ctrls.includes(info.controller_principal)) fail(`controllers ${ctrls} lack ${info.controller_principal}`);
if (!paths.get('module_hash')) fail('no module_hash in the certified state');
out.controllers = ctrls;
out.module_hash = paths.get('module_hash');
out.time_ms = paths.get('time').getTime();

// 1b. A query, whose node signature the agent verifies (verifyQuerySignatures).
const app = Actor.createActor(({ IDL }) => IDL.Service({ sim_digest: IDL.Func([], [IDL.Text], ['query']) }),
  { agent, canisterId: target });
out.digest = await app.sim_digest();

// 2. canister_status through an update call (certified reply).
const m = mgmt(agent, target);
const before = await m.canister_status({ canister_id: target });
if (!('running' in before.status)) fail(`status ${JSON.stringify(Object.keys(before.status))}`);
out.cycles_before = before.cycles.toString();

// 3. Snapshot: take, list, metadata, data.
const snap = await m.take_canister_snapshot({ canister_id: target, replace_snapshot: [], uninstall_code: [], sender_canister_version: [] });
const list = await m.list_canister_snapshots({ canister_id: target });
if (!list.some((s) => hex(s.id) === hex(snap.id))) fail('taken snapshot not listed');
const meta = await m.read_canister_snapshot_metadata({ canister_id: target, snapshot_id: snap.id });
const size = BigInt(Math.min(Number(meta.wasm_memory_size), 1 << 20));
const data = await m.read_canister_snapshot_data({ canister_id: target, snapshot_id: snap.id, kind: { wasm_memory: { offset: 0n, size } } });
if (BigInt(data.chunk.length) !== size) fail(`slice of ${data.chunk.length} bytes, want ${size}`);
const after = await m.canister_status({ canister_id: target });
if (after.memory_metrics.snapshots_size !== BigInt(snap.total_size)) {
  fail(`snapshots_size ${after.memory_metrics.snapshots_size} != snapshot total_size ${snap.total_size}`);
}
if (after.memory_size < BigInt(snap.total_size) * 2n) fail(`memory_size ${after.memory_size} does not count the snapshot`);
if (!(after.cycles < before.cycles)) fail(`cycles did not go down: ${before.cycles} -> ${after.cycles}`);
out.snapshot_id = hex(snap.id);
out.snapshot_total_size = snap.total_size.toString();
out.wasm_memory_size = meta.wasm_memory_size.toString();
out.slice_size = size.toString();
out.slice_sha256 = createHash('sha256').update(data.chunk).digest('hex');
out.memory_size = after.memory_size.toString();
out.cycles_after = after.cycles.toString();

// 4. A non-controller's management call: an UNCERTIFIED rejection.
const stranger = await newAgent(Ed25519KeyIdentity.generate());
try {
  await mgmt(stranger, target).canister_status({ canister_id: target });
  fail('a non-controller read canister_status');
} catch (e) {
  if (!(e instanceof AgentError)) throw e;
  if (e.cause?.code instanceof CertifiedRejectErrorCode) fail('non-controller call came back CERTIFIED: ' + e.message);
  if (!(e.cause?.code instanceof UncertifiedRejectUpdateErrorCode)) fail('unexpected error: ' + e.message);
  out.stranger_reject = { reject_code: e.cause.code.rejectCode, error_code: e.cause.code.rejectErrorCode, certified: false };
  if (out.stranger_reject.error_code !== 'IC0512') fail(`error code ${out.stranger_reject.error_code}, want IC0512`);
}
console.log(JSON.stringify(out));
