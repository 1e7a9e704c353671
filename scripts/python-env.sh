#!/usr/bin/env bash
# Builds the Python package into a virtual environment (.venv, or $PASSFORT_VENV)
# through `pip install .`, in the debug profile so that it reuses cargo's build.
# With --with-tests, also installs what the Python tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PASSFORT_VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0"
if [ "${1:-}" = "--with-tests" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
fi
PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --no-deps --force-reinstall .
