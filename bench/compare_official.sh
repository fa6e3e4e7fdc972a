#!/usr/bin/env bash
# 1,000 sequential AK/SK-signed list-members calls with the official Python SDK and with this
# crate, against the same loopback fake server, run side by side; prints both times and the ratio.
# The SDK is installed into a throwaway venv (never a dependency of the crate).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-1000}
venv=target/bench-official-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    huaweicloudsdkcore==3.1.219 huaweicloudsdkdataartsstudio==3.1.219
fi
cargo build --quiet --release --features fake --example fake_server --example bench_list

target/release/examples/fake_server > target/bench-fake.out &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^http://' target/bench-fake.out 2>/dev/null && break; sleep 0.1; done
endpoint=$(head -n1 target/bench-fake.out)

# Warm both up (connection set-up, imports), then measure.
"$venv/bin/python" bench/official_list.py "$endpoint" 20 >/dev/null
target/release/examples/bench_list "$endpoint" 20 >/dev/null
official=$("$venv/bin/python" bench/official_list.py "$endpoint" "$calls")
crate=$(target/release/examples/bench_list "$endpoint" "$calls")
python3 - "$calls" "$official" "$crate" <<'PY'
import sys
calls, official, crate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"{calls} sequential list-members calls with AK/SK against the same loopback fake:")
print(f"  official Python SDK : {official:8.3f} s  ({official / calls * 1e3:.3f} ms/call)")
print(f"  huaweicloud-openapi : {crate:8.3f} s  ({crate / calls * 1e3:.3f} ms/call)")
print(f"  ratio official/crate: {official / crate:.1f}x")
PY
