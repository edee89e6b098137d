#!/usr/bin/env bash
# Virtual key vs master key: the same scenarios through scripts/bench.sh, once with the
# master key and once with a virtual key on the embedded SQLite store (with a budget and
# limits, so every check runs). Compare CPU per request in the two result files; after
# the run, /health/readiness/details (llmux_keys.auth_reads) shows the hot path made no
# database read, and /spend/logs holds one row per 2xx answer.
#
#   scripts/bench-keys.sh                              # chat_c128 both ways
#   scripts/bench-keys.sh --scenarios chat_c1,chat_c128 --scale 0.5
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="$REPO/crates/llmux-server/tests/fixtures/config/bench_keys.yaml"
MASTER=sk-bench-7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b
VIRTUAL=sk-bench-virtual-0b1c2d3e4f5a6b7c
DB_DIR=/tmp/llmux-bench-keys
PORT="${BENCH_KEYS_PORT:-18299}"

cd "$REPO"
cargo build --release -p llmux-server
rm -rf "$DB_DIR" && mkdir -p "$DB_DIR"

# Make the virtual key in the store the benchmark's gateway will open.
sed 's/{upstream}/127.0.0.1:1/' "$CONFIG" > "$DB_DIR/setup.yaml"
"$REPO/target/release/llmux" --config "$DB_DIR/setup.yaml" --port "$PORT" --host 127.0.0.1 &
GW=$!
trap 'kill $GW 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health/readiness" | grep -q '"db":"connected"' && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/key/generate" -H "Authorization: Bearer $MASTER" \
  -H 'content-type: application/json' \
  -d "{\"key\": \"$VIRTUAL\", \"max_budget\": 1000000, \"rpm_limit\": 100000000, \"tpm_limit\": 100000000000}" >/dev/null
kill $GW; wait $GW 2>/dev/null || true
trap - EXIT

SCENARIOS=(--scenarios chat_c128)
if [[ $# -gt 0 ]]; then SCENARIOS=(); fi
bash scripts/bench.sh --config "$CONFIG" --api-key "$MASTER" --tag master-key "${SCENARIOS[@]}" "$@"
bash scripts/bench.sh --config "$CONFIG" --api-key "$VIRTUAL" --tag virtual-key "${SCENARIOS[@]}" "$@"
