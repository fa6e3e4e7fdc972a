#!/usr/bin/env bash
# Lints both specs with three independent linters; any error or warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

specs=(openapi/dataarts-security.yaml openapi/projectman-v4.yaml)
for spec in "${specs[@]}"; do
  openapi-spec-validator --validation-errors all "$spec"
done
spectral lint --ruleset .spectral.yaml --fail-severity=warn "${specs[@]}"
out=$(redocly lint --config redocly.yaml --max-problems 50 "${specs[@]}" 2>&1) || { echo "$out"; exit 1; }
# Drop redocly's Node 20 deprecation banner; treat warnings as failures like spectral does.
echo "$out" | grep -v "Node.js\|║\|╔\|╚" || true
if echo "$out" | grep -Eq "[0-9]+ warnings?\b"; then
  echo "redocly reported warnings" >&2
  exit 1
fi
