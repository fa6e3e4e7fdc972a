#!/usr/bin/env bash
# Proves real traffic conforms to the specs:
# 1. the quickstart (the crate's client, the documents' four operations plus pagination) runs through
#    `prism proxy --errors` in front of the fake server; any Prism "Violation" fails;
#    a deliberately bad request first proves the check can fail;
# 2. schemathesis fuzzes both specs against the fake with the conformance checks.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

work=target/traffic
rm -rf "$work" && mkdir -p "$work"
cargo build --quiet --features fake --example fake_server --example quickstart

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"${CARGO_TARGET_DIR:-target}"/debug/examples/fake_server >"$work/fake.out" &
pids+=($!)
for _ in $(seq 50); do grep -q '^http://' "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
fake=$(head -n1 "$work/fake.out")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
da_port=$(free_port); pm_port=$(free_port)
prism proxy openapi/dataarts-security.yaml "$fake" --errors --host 127.0.0.1 --port "$da_port" >"$work/prism-dataarts.log" 2>&1 &
pids+=($!)
prism proxy openapi/projectman-v4.yaml "$fake" --errors --host 127.0.0.1 --port "$pm_port" >"$work/prism-projectman.log" 2>&1 &
pids+=($!)
for log in "$work/prism-dataarts.log" "$work/prism-projectman.log"; do
  for _ in $(seq 100); do grep -q "Prism is listening" "$log" && break; sleep 0.2; done
  grep -q "Prism is listening" "$log" || { cat "$log"; echo "prism did not start" >&2; exit 1; }
done

project=0833a5737480d53b2f25c010dc1a7b88
pset=fea96c90024711b8bf8d6886407b814b
# Positive control: Prism must flag a member_type outside the enum.
curl -s -o /dev/null -H "X-Auth-Token: t" -H "workspace: ws" \
  "http://127.0.0.1:$da_port/v1/$project/security/permission-sets/$pset/members?member_type=BOGUS" || true
# Prism logs a violation as a "Violation" line or, with --errors, as an error-level "✖" line.
flagged='Violation|✖'
for _ in $(seq 20); do grep -Eq "$flagged" "$work/prism-dataarts.log" && break; sleep 0.2; done
grep -Eq "$flagged" "$work/prism-dataarts.log" \
  || { echo "Prism did not report a known violation: the check would be blind" >&2; exit 1; }
before=$(grep -Ec "$flagged" "$work/prism-dataarts.log")

env HUAWEICLOUD_SDK_AUTH_TOKEN=prism-token HUAWEICLOUD_SDK_PROJECT_ID=$project \
  HUAWEICLOUD_DATAARTS_ENDPOINT="http://127.0.0.1:$da_port" \
  HUAWEICLOUD_PROJECTMAN_ENDPOINT="http://127.0.0.1:$pm_port" \
  HUAWEICLOUD_DATAARTS_WORKSPACE=dd97167b873d4a79b2aad54d4370a3bc \
  HUAWEICLOUD_DATAARTS_PERMISSION_SET_ID=$pset \
  HUAWEICLOUD_DATAARTS_MEMBER_ID=b43927a45a514e93ba70524b28923500 \
  HUAWEICLOUD_PROJECTMAN_PROJECT_ID=526cefde62004de2b62b5e8dd2c2b3af \
  HUAWEICLOUD_PROJECTMAN_USER_ID=665b542eb4c14b53a15ead449f28b0ba \
  "${CARGO_TARGET_DIR:-target}"/debug/examples/quickstart

sleep 1  # let Prism flush its log
after=$(grep -Ec "$flagged" "$work/prism-dataarts.log")
pm_violations=$(grep -Ec "$flagged" "$work/prism-projectman.log" || true)
forwarded=$(cat "$work"/prism-*.log | grep -c "Forwarding" || true)
if [ "$after" != "$before" ] || [ "$pm_violations" != 0 ]; then
  grep -Eh "$flagged" "$work"/prism-*.log >&2
  echo "Prism found violations in the client's traffic" >&2
  exit 1
fi
[ "$forwarded" -ge 5 ] || { echo "Prism saw only $forwarded requests" >&2; exit 1; }
echo "prism: $forwarded requests from the crate's client, no violation"

checks=status_code_conformance,content_type_conformance,response_schema_conformance,not_a_server_error
for spec in openapi/dataarts-security.yaml openapi/projectman-v4.yaml; do
  schemathesis run "$spec" --url "$fake" -H "X-Auth-Token: schemathesis" \
    --checks "$checks" --max-examples 50 --seed 20261122 --no-color
done
