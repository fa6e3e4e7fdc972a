#!/usr/bin/env bash
# Reconciling 10,000 CodeArts project members (5,000 to add, 2,000 to remove, 1,000 role
# changes) against the embedded fake with 20 ms latency per request, against the naive loop of
# one call per changed member, side by side in one run. Prints wall time, calls and the ratios.
#
#   bash bench/reconcile.sh [latency_ms]      (default 20; the naive loop takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --features fake --example bench_reconcile -- "${1:-20}"
