#!/usr/bin/env bash
# Installs the Python packages passfort and passfort-emulator into a virtual
# environment (.venv, or $PASSFORT_VENV).
#   (no flag)      built from this source (`pip install .`), in the debug profile so that it reuses cargo's build
#   --from-dist    the wheels scripts/dist.sh wrote into dist/ (what users install)
#   --with-tests   also what the Python tests use (tests/python/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PASSFORT_VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
from_dist=false with_tests=false
for flag in "$@"; do
  case "$flag" in
    --from-dist) from_dist=true ;;
    --with-tests) with_tests=true ;;
    *) echo "python-env.sh: unknown flag $flag" >&2; exit 2 ;;
  esac
done
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip() { "$venv/bin/python" -m pip --quiet --disable-pip-version-check "$@"; }
pip install "maturin==1.16.0"
if $with_tests; then
  pip install -r tests/python/requirements.txt
fi
if $from_dist; then
  pip install --no-deps --force-reinstall dist/passfort-*.whl dist/passfort_emulator-*.whl
else
  PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" pip install --no-build-isolation --no-deps --force-reinstall . ./emulator-python
fi
