#!/usr/bin/env bash
# Generates Python, TypeScript, Go and Java clients from both specs with openapi-generator (spec
# validation on) and a Python client with openapi-python-client --fail-on-warning; fails on any
# generator warning about the specs. Then proves the generated Python client works by running the
# four operations against the embedded fake server.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

out=target/generated-clients
rm -rf "$out" && mkdir -p "$out"

# Generator warnings that are not about the specs, each with its reason:
# - "Failed to get the schema name: null": openapi-generator's ModelUtils logs this for
#   properties that $ref a primitive or enum component (UserId, RoleId, MemberType); no $ref in
#   the specs is null, and the generated models use the referenced types correctly.
# - "Ignoring complex example on request body": the Java generator does not render object
#   examples in its docs; the examples are the documents' own and valid against their schemas.
known='Failed to get the schema name: null|Ignoring complex example on request body'

declare -A package=([dataarts-security]=dataarts_security [projectman-v4]=projectman_v4)
for spec in openapi/*.yaml; do
  name=$(basename "$spec" .yaml)
  for gen in python typescript-fetch go java; do
    log="$out/$gen-$name.log"
    if ! openapi-generator-cli generate -i "$spec" -g "$gen" -o "$out/$gen/$name" \
        --additional-properties "packageName=${package[$name]},projectName=$name" >"$log" 2>&1; then
      cat "$log"; echo "openapi-generator $gen failed on $spec" >&2; exit 1
    fi
    if grep -E '\b(WARN|ERROR)\b' "$log" | grep -Ev "$known"; then
      echo "openapi-generator $gen warned about $spec (lines above)" >&2; exit 1
    fi
    echo "openapi-generator $gen: $spec ok"
  done
  openapi-python-client generate --path "$spec" --output-path "$out/openapi-python-client/$name" \
    --overwrite --fail-on-warning >"$out/opc-$name.log" 2>&1 \
    || { cat "$out/opc-$name.log"; echo "openapi-python-client failed on $spec" >&2; exit 1; }
  echo "openapi-python-client: $spec ok"
done

# The generated Python clients, installed into the tools venv, against the fake server.
pip install --quiet --disable-pip-version-check "$out/python/dataarts-security" "$out/python/projectman-v4"
cargo build --quiet --features fake --example fake_server
fifo="$out/fake.out"
target/debug/examples/fake_server >"$fifo" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^http://' "$fifo" 2>/dev/null && break; sleep 0.1; done
endpoint=$(head -n1 "$fifo")
python3 .ci/python_client_smoke.py "$endpoint"
