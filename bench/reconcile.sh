#!/usr/bin/env bash
# Reconciling a job within the services' limits against the embedded fake with 20 ms latency per
# request: a DataArts permission set from 5,000 to 10,000 members (+7,000 -2,000) and ten CodeArts
# projects from 500 to 800 members (+500 -200, 100 role changes each). In one run, on a fresh fake
# each: the engine (8 calls at a time, verified), the same batches one call at a time (a careful
# script with the official SDK), a Terraform-like run (one call per member, 10 in parallel) and
# the naive loop (one call per member, one at a time). Prints wall time, calls and the ratios.
#
#   bash bench/reconcile.sh [latency_ms] [--no-naive]
#       (default 20 ms; the naive loop alone takes about 17,000 x latency, ~6 minutes at 20 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --features fake --example bench_reconcile -- "${1:-20}" "${@:2}"
