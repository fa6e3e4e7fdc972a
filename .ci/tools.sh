#!/usr/bin/env bash
# Installs the pinned spec tools into .ci/.tools (git-ignored) and puts them on PATH.
#
#   bash .ci/tools.sh     install (or check) only
#   . .ci/tools.sh        install (or check), then put the tools on this shell's PATH
#
# Idempotent: a tool whose pinned version is already installed is left alone, so a second run
# costs a second, not a download. Needs only python3 (3.11), node 20 + npm and java 17.
#
#   .ci/.tools/venv   Python venv: openapi-spec-validator, openapi-generator-cli (bundles the
#                     generator jar, runs on the system java), openapi-python-client, ruff (its
#                     post-generation hook), schemathesis (.ci/traffic.sh)
#   .ci/.tools/npm    npm prefix: spectral, redocly (both Node 20 compatible), prism (.ci/traffic.sh)
#
# Not used on purpose: the npm wrapper @openapitools/openapi-generator-cli, which downloads its
# jar at run time from a host CI cannot reach.

# The work runs in a subshell, so that `set -euo pipefail` does not leak into a shell that
# sources this file.
_ci_tools_install() (
  set -euo pipefail

  local tools="$1"
  local venv="$tools/venv" npm_prefix="$tools/npm"
  local py_pins=(
    "openapi-spec-validator==0.9.0"
    "openapi-generator-cli==7.26.0"
    "openapi-python-client==0.29.1"
    "ruff==0.17.6"
    "schemathesis==4.32.5"
  )
  local npm_pins=(
    "@stoplight/spectral-cli@6.16.3"
    "@redocly/cli@2.77.0"
    "@stoplight/prism-cli@5.14.2"
  )

  local tool
  for tool in python3 node npm java; do
    command -v "$tool" >/dev/null || { echo "tools.sh: $tool is not on PATH" >&2; exit 1; }
  done
  mkdir -p "$tools"

  # Python: a venv, then only the pins whose installed version differs.
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local missing
  missing=$("$venv/bin/python" - "${py_pins[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        print(pin)
PY
  )
  if [ -n "$missing" ]; then
    echo "tools.sh: installing into $venv: $(echo "$missing" | tr "\n" " ")" >&2
    # All pins in one resolve, so that they are mutually consistent.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${py_pins[@]}"
  fi

  # npm: a prefix, likewise.
  missing=""
  local pin name want have
  for pin in "${npm_pins[@]}"; do
    name="${pin%@*}" want="${pin##*@}"
    have=$(node -p "require('$npm_prefix/node_modules/$name/package.json').version" 2>/dev/null || true)
    [ "$have" = "$want" ] || missing="$missing $pin"
  done
  if [ -n "$missing" ]; then
    echo "tools.sh: installing into $npm_prefix:$missing" >&2
    mkdir -p "$npm_prefix"
    npm install --prefix "$npm_prefix" --save-exact --no-audit --no-fund --loglevel=error \
      "${npm_pins[@]}" >&2
  fi
)

_ci_tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.tools"
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  _ci_tools_install "$_ci_tools_dir"
else
  _ci_tools_install "$_ci_tools_dir" || return 1
  export PATH="$_ci_tools_dir/venv/bin:$_ci_tools_dir/npm/node_modules/.bin:$PATH"
  export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
fi
unset _ci_tools_dir
