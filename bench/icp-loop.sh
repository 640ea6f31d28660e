#!/usr/bin/env bash
# icp-loop.sh — the backup a careful team scripts today with the icp CLI for
# a consistent fleet snapshot, one call after another:
#   1. stop every canister, parents first;
#   2. snapshot every canister (all are stopped: the fleet is consistent);
#   3. start every canister, children first;
#   4. download every snapshot.
#
# Usage: icp-loop.sh OUT_DIR CANISTER... (canisters listed parents first)
# Environment:
#   ICP_BIN        the icp binary (default: icp on PATH)
#   ICP_NETWORK    replica URL, e.g. http://127.0.0.1:4943 (required)
#   ICP_ROOT_KEY   the replica's DER root key in hex (for a local replica)
#   ICP_PEM        PEM identity controlling the canisters (imported into a
#                  private ICP_HOME; the key never appears in the output)
#
# It prints, on stdout, lines the benchmark reads:
#   first_stop_at=<unix seconds.nanoseconds>   (before the first stop)
#   last_start_at=<unix seconds.nanoseconds>   (after the last start)
# Any failing call stops the script (set -e) with icp's message on stderr.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 OUT_DIR CANISTER..." >&2
	exit 2
fi
out=$1
shift
icp=${ICP_BIN:-icp}
: "${ICP_NETWORK:?set ICP_NETWORK to the replica URL}"

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export ICP_HOME=$home DO_NOT_TRACK=1 NO_COLOR=1
cd "$home"

net=(-n "$ICP_NETWORK")
if [ -n "${ICP_ROOT_KEY:-}" ]; then
	net+=(-k "$ICP_ROOT_KEY")
fi
if [ -n "${ICP_PEM:-}" ]; then
	"$icp" identity import backup --from-pem "$ICP_PEM" --storage plaintext >/dev/null 2>&1
	net+=(--identity backup)
fi

canisters=("$@")
declare -A snapshot

echo "first_stop_at=$(date +%s.%N)"
for c in "${canisters[@]}"; do
	"$icp" canister stop "$c" "${net[@]}" >/dev/null
done
for c in "${canisters[@]}"; do
	json=$("$icp" canister snapshot create "$c" --json "${net[@]}")
	snapshot[$c]=$(printf '%s' "$json" | sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p')
	if [ -z "${snapshot[$c]}" ]; then
		echo "no snapshot id in: $json" >&2
		exit 1
	fi
done
for ((i = ${#canisters[@]} - 1; i >= 0; i--)); do
	"$icp" canister start "${canisters[$i]}" "${net[@]}" >/dev/null
done
echo "last_start_at=$(date +%s.%N)"

mkdir -p "$out"
for c in "${canisters[@]}"; do
	"$icp" canister snapshot download "$c" "${snapshot[$c]}" --output "$out/$c" "${net[@]}" >/dev/null
done
