#!/usr/bin/env bash
# 1,000 writes from 8 concurrent tasks through one client against the embedded fake limited to
# 50 calls per 1-second window: a fixed limiter at the rate, an adaptive one starting at twice
# the rate, the crate's defaults, and throttled writes not retried (before issue 16), side by
# side in one run. Prints failed calls, requests, throttled answers, wall time and its ratio to
# the floor (calls / rate).
#
#   bash bench/throttle.sh [writes] [rate]      (default 1000 50; about 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --features fake --example bench_throttle -- "${1:-1000}" "${2:-50}"
