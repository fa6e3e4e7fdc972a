#!/usr/bin/env bash
# Lints every spec with three independent tools; any error, and any warning, fails.
#   1. openapi-spec-validator: the OpenAPI 3.0.3 schema, every error reported.
#   2. spectral, every rule of spectral:oas (.spectral.yaml), failing at severity warn.
#   3. redocly, recommended-strict (redocly.yaml): the recommended rules with warnings as errors;
#      the config file itself is linted as an error too.
#   4. .ci/check-doc-examples.py: every example of the API documents (tests/fixtures/api-docs, and
#      ../shared/api-docs or $HUAWEICLOUD_API_DOCS when present) and every example in the specs
#      validates against the specs with openapi-schema-validator's OAS30Validator.
# Rules turned off, each with its reason, are only in .spectral.yaml and redocly.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

specs=(openapi/dataarts-security.yaml openapi/projectman-v4.yaml openapi/iam-v3.yaml)

echo "--- openapi-spec-validator $(pip show openapi-spec-validator 2>/dev/null | sed -n 's/^Version: //p')"
for spec in "${specs[@]}"; do
  openapi-spec-validator --validation-errors all "$spec"
done

echo "--- spectral $(spectral --version)"
spectral lint --ruleset .spectral.yaml --fail-severity=warn "${specs[@]}"

echo "--- redocly $(redocly --version 2>/dev/null | tail -n1)"
# Redocly prints a boxed Node 20 end-of-life notice on every run; only that box is dropped.
redocly lint --config redocly.yaml --lint-config error --max-problems 200 "${specs[@]}" 2>&1 \
  | { grep -v '[║╔╚]' || true; }

echo "--- document examples (openapi-schema-validator $(pip show openapi-schema-validator 2>/dev/null | sed -n 's/^Version: //p'))"
python .ci/check-doc-examples.py

echo "lint-specs: ${#specs[@]} specs passed openapi-spec-validator, spectral, redocly and the document examples"
