#!/usr/bin/env bash
# Gateway overhead benchmark of llmux with the shared harness (shared/bench/bench.py).
#
#   scripts/bench.sh                      # all scenarios, full request counts
#   scripts/bench.sh --scale 0.3          # quicker
#   scripts/bench.sh --scenarios chat_c1,chat_c32
#   scripts/bench.sh --scenarios anthropic_c32,responses_anthropic_c32   # the bridged Responses
#                                         # request against chat to the same deployment
#   SHARED=/path/to/shared scripts/bench.sh
#
# Builds the release gateway, makes sure the fake upstream (nginx + echo module) and the
# load generator (oha) are installed, then runs bench.py from the repo root; every extra
# argument goes to bench.py. Results land in ./bench-results/ (JSON + Markdown).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$(dirname "$REPO")/shared}"
BENCH_PY="$SHARED/bench/bench.py"
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

log() { printf 'bench.sh: %s\n' "$*" >&2; }

if [[ ! -f "$BENCH_PY" ]]; then
    log "no harness at $BENCH_PY (set SHARED=/path/to/shared)"
    exit 1
fi

# Fake upstream: Debian nginx-light with the echo module.
have_nginx() { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; }
if ! have_nginx || [[ ! -f "$ECHO_MODULE" ]]; then
    log "installing nginx-light + libnginx-mod-http-echo"
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y nginx-light libnginx-mod-http-echo
fi

# Load generator: oha (bench.py looks on PATH, then in ~/.cargo/bin).
if ! command -v oha >/dev/null 2>&1 && [[ ! -x "$HOME/.cargo/bin/oha" ]]; then
    log "installing oha (several minutes on 2 cores)"
    # Its own target dir, so the install does not hold the workspace's build lock.
    CARGO_TARGET_DIR="${OHA_TARGET_DIR:-/tmp/oha-target}" cargo install oha --locked
fi

cd "$REPO"
log "building the release gateway"
cargo build --release -p llmux-server

if [[ ! -x "$REPO/target/release/llmux" ]]; then
    log "target/release/llmux was not built (is the binary of llmux-server named llmux?)"
    exit 1
fi

log "running $BENCH_PY $*"
exec python3 "$BENCH_PY" \
    --gateway-cmd "$REPO/target/release/llmux --config {config} --port {port}" \
    --name llmux \
    "$@"
