#!/usr/bin/env bash
# Soak: mixed traffic (streams, large bodies, upstream faults, client disconnects)
# against llmux-mock for 30 minutes, RSS and open fds every 10 s (scripts/soak.py).
# Not in CI; scripts/test.sh runs the 2-minute version with an RSS bound:
#   scripts/soak.sh --minutes 2 --max-rss-mib 200 --max-fd-growth 40
# Binaries: LLMUX_BIN / LLMUX_MOCK_BIN, default target/release/{llmux,llmux-mock}.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
exec python3 scripts/soak.py \
  --llmux "${LLMUX_BIN:-$TARGET/release/llmux}" \
  --mock "${LLMUX_MOCK_BIN:-$TARGET/release/llmux-mock}" \
  "$@"
