#!/usr/bin/env bash
# Virtual key vs master key, in ONE bench.py invocation (one upstream, one direct floor,
# the two gateways one after the other: the only way to get a ratio on a noisy box).
# Both gateways are the same binary on the same embedded SQLite store; bench.py sends the
# same bearer to both. The first gateway's config makes it the master key; the second's
# has another master key, and the bearer is a virtual key in its store, with a budget
# and limits, so every check runs and every answer is one spend-log row.
#
# After the run, the virtual-key gateway's shutdown line (`virtual keys: counters at
# shutdown`, from its log in bench.py's workdir) gives `auth_reads`, the database reads
# the requests cost (1: the first load), and `spend_rows_written`, one per 2xx answer;
# the script prints it with the spend-log rows in the store.
#
#   scripts/bench-keys.sh                              # chat_c128 both ways
#   scripts/bench-keys.sh --scenarios chat_c1,chat_c128 --scale 0.5
#   LLMUX_BIN=/path/to/other/llmux scripts/bench-keys.sh   # a binary built elsewhere
#
# scripts/bench.sh installs what the harness needs (nginx with the echo module, oha).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$(dirname "$REPO")/shared}"
CONFIG="$REPO/crates/llmux-server/tests/fixtures/config/bench_keys.yaml"
# What bench.py sends: the first gateway's master key, the second's virtual key.
BENCH_KEY=sk-bench-7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b
ADMIN=sk-bench-admin-5e6f7a8b9c0d1e2f
DB_DIR=/tmp/llmux-bench-keys
PORT="${BENCH_KEYS_PORT:-18299}"

cd "$REPO"
if [[ -z "${LLMUX_BIN:-}" ]]; then
  cargo build --release -p llmux-server
  LLMUX_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/llmux"
fi
rm -rf "$DB_DIR" && mkdir -p "$DB_DIR"
# The virtual-key gateway: the same config with another master key.
sed "s/$BENCH_KEY/$ADMIN/" "$CONFIG" > "$DB_DIR/virtual.yaml"

# Make the virtual key in the store the benchmark's gateways open.
sed 's/{upstream}/127.0.0.1:1/' "$DB_DIR/virtual.yaml" > "$DB_DIR/setup.yaml"
"$LLMUX_BIN" --config "$DB_DIR/setup.yaml" --port "$PORT" --host 127.0.0.1 2>"$DB_DIR/setup.log" &
GW=$!
trap 'kill $GW 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health/readiness" | grep -q '"db":"connected"' && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/key/generate" -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' \
  -d "{\"key\": \"$BENCH_KEY\", \"max_budget\": 1000000, \"rpm_limit\": 100000000, \"tpm_limit\": 100000000000}" >/dev/null
kill $GW; wait $GW 2>/dev/null || true
trap - EXIT

SCENARIOS=(--scenarios chat_c128)
if [[ $# -gt 0 ]]; then SCENARIOS=(); fi
OUT="$DB_DIR/bench.out"
python3 "$SHARED/bench/bench.py" --config "$CONFIG" --api-key "$BENCH_KEY" --tag keys \
  --gateway-cmd "$LLMUX_BIN --config {config} --port {port}" --name master-key \
  --gateway-cmd "$LLMUX_BIN --config {config} --port {port}" --name virtual-key \
  --gateway-config default --gateway-config "$DB_DIR/virtual.yaml" \
  "${SCENARIOS[@]}" "$@" | tee "$OUT"

WORK="$(sed -n 's/^workdir //p' "$OUT" | head -1)"
echo
echo "virtual-key gateway at shutdown:"
grep -h 'counters at shutdown' "$WORK/gateway-virtual-key.log" || echo "  (no counters line in $WORK/gateway-virtual-key.log)"
python3 - "$DB_DIR/keys.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows, spend = db.execute("SELECT COUNT(*), COALESCE(SUM(spend), 0) FROM llmux_spend_logs").fetchone()
(key_spend,) = db.execute("SELECT spend FROM llmux_keys").fetchone()
print(f"store: {rows} spend-log rows summing to {spend!r}; the key's spend {key_spend!r}")
EOF
