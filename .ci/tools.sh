#!/usr/bin/env bash
# Installs the pinned spec tools into .ci/.tools (git-ignored) and puts them on PATH.
# Source it (`. .ci/tools.sh`); it is idempotent: a pinned version already there is kept.
set -euo pipefail

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.tools"
VENV="$TOOLS/venv"
NPM_PREFIX="$TOOLS/npm"

PY_PINS=(
  "openapi-spec-validator==0.9.0"
  "openapi-generator-cli==7.26.0"
  "openapi-python-client==0.29.1"
  "ruff==0.17.6"
  "schemathesis==4.32.5"
)
NPM_PINS=(
  "@stoplight/spectral-cli@6.16.3"
  "@redocly/cli@2.77.0"
  "@stoplight/prism-cli@5.14.2"
)

mkdir -p "$TOOLS"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.pins"
if [ "$(cat "$stamp" 2>/dev/null)" != "${PY_PINS[*]}" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PINS[@]}"
  echo "${PY_PINS[*]}" > "$stamp"
fi
stamp="$NPM_PREFIX/.pins"
if [ "$(cat "$stamp" 2>/dev/null)" != "${NPM_PINS[*]}" ]; then
  mkdir -p "$NPM_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$NPM_PREFIX" "${NPM_PINS[@]}"
  echo "${NPM_PINS[*]}" > "$stamp"
fi
export PATH="$VENV/bin:$NPM_PREFIX/node_modules/.bin:$PATH"
export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
