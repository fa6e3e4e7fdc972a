#!/usr/bin/env bash
# Proves the specs serve other generators, not only progenitor:
#   1. openapi-generator `validate --recommend` reports no issue and no recommendation;
#   2. openapi-generator generates python, typescript-fetch, go and java clients from both specs
#      with spec validation on (no --skip-validate-spec) and prints no warning about the specs;
#   3. openapi-python-client generates a client from both specs with --fail-on-warning;
#   4. the generated Python clients run the documents' four operations against the embedded fake server.
# Everything is written under target/generated-clients (git-ignored), wiped on each run.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

out=target/generated-clients
rm -rf "$out" && mkdir -p "$out"

# What counts as a warning about the specs: every WARN or ERROR line openapi-generator logs while
# generating, except the exact messages below, which it prints whatever the spec says:
# - ModelUtils "Failed to get the schema name: null": logged at most once per run, when the
#   generator asks for the $ref name of something that has none. The python generator prints it
#   for any object schema with a property (a spec whose only schema is
#   `{type: object, properties: {a: {type: string}}}` gets it); typescript-fetch, go and java
#   print it for any named response example (`examples: {name: {value: ...}}`), which OpenAPI
#   3.0.3 allows and the specs use to carry the documents' example answers.
# - AbstractJavaCodegen "Ignoring complex example on request body": the java generator does not
#   render an example of a model-typed request body in its generated docs, and says so for every
#   such example. The examples are the documents' own requests and valid against their schemas;
#   dropping them would make the specs say less, not more.
# Step 1 catches what generation itself does not print, such as unused components.
noise=(
  'WARN  o\.o\.codegen\.utils\.ModelUtils - Failed to get the schema name: null$'
  'WARN  o\.o\.c\.languages\.AbstractJavaCodegen - Ignoring complex example on request body$'
)
noise_re=$(IFS='|'; echo "${noise[*]}")

declare -A package=([dataarts-security]=dataarts_security [projectman-v4]=projectman_v4 [iam-v3]=iam_v3)
for spec in openapi/dataarts-security.yaml openapi/projectman-v4.yaml openapi/iam-v3.yaml; do
  name=$(basename "$spec" .yaml)

  log="$out/validate-$name.log"
  openapi-generator-cli validate -i "$spec" --recommend >"$log" 2>&1 || { cat "$log"; exit 1; }
  if ! grep -qx 'No validation issues detected.' "$log"; then
    cat "$log"; echo "openapi-generator validate --recommend found issues in $spec" >&2; exit 1
  fi
  echo "openapi-generator validate --recommend: $spec ok"

  for gen in python typescript-fetch go java; do
    log="$out/$gen-$name.log"
    if ! openapi-generator-cli generate -i "$spec" -g "$gen" -o "$out/$gen/$name" \
        --additional-properties "packageName=${package[$name]},projectName=$name" >"$log" 2>&1; then
      cat "$log"; echo "openapi-generator $gen failed on $spec" >&2; exit 1
    fi
    if grep -E '\b(WARN|ERROR)\b' "$log" | grep -Ev "$noise_re"; then
      echo "openapi-generator $gen warned about $spec (lines above; full log $log)" >&2; exit 1
    fi
    echo "openapi-generator $gen: $spec ok ($(grep -cE "$noise_re" "$log" || true) generator-only notices ignored)"
  done

  log="$out/openapi-python-client-$name.log"
  # Its ruff post-hook needs ruff on PATH: tools.sh puts the venv's bin there.
  openapi-python-client generate --path "$spec" --output-path "$out/openapi-python-client/$name" \
    --overwrite --fail-on-warning >"$log" 2>&1 \
    || { cat "$log"; echo "openapi-python-client failed or warned on $spec" >&2; exit 1; }
  echo "openapi-python-client --fail-on-warning: $spec ok"
done

# The generated Python clients, in a throwaway venv (not the pinned tools venv), against the fake.
python3 -m venv "$out/smoke-venv"
"$out/smoke-venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "$out/python/dataarts-security" "$out/python/projectman-v4"
cargo build --quiet --features fake --example fake_server
"${CARGO_TARGET_DIR:-target}"/debug/examples/fake_server >"$out/fake.out" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^http://' "$out/fake.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(head -n1 "$out/fake.out")
[ -n "$endpoint" ] || { echo "the fake server printed no endpoint" >&2; exit 1; }
"$out/smoke-venv/bin/python" .ci/python_client_smoke.py "$endpoint"
