#!/usr/bin/env bash
# Per-call overhead of the crate (IAM token) over raw reqwest, two ways:
#   1. instructions per call under callgrind: deterministic, so it shows a change of a few
#      hundred instructions that wall time on a shared VM hides;
#   2. wall time, paired runs of both modes with farm-bench (median ratio).
# Both sides run the same in-process loopback server, whose work is in both figures.
#
#   bash bench/overhead.sh [calls]      (default 2000; farm-bench uses 10x as many)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-2000}
cargo build --release --quiet --example overhead_probe
probe=target/release/examples/overhead_probe

instructions() { # mode calls -> total instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$probe" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for mode in raw crate; do
  start=$(instructions "$mode" 0)
  total=$(instructions "$mode" "$calls")
  echo "$mode $(( (total - start) / calls ))"
done | awk '{ per[$1] = $2; printf "%-6s %8d instructions per call\n", $1, $2 }
  END { printf "ratio  %8.3fx instructions (crate / raw)\n", per["crate"] / per["raw"] }'

if command -v farm-bench >/dev/null; then
  farm-bench -n 10 --vs "$probe raw $((calls * 10))" -- "$probe" crate $((calls * 10)) | grep -E 'wall|A/B'
fi
