#!/usr/bin/env bash
# Checks the hand-written public signatures against the built native modules:
# the Python stub (_native.pyi) with mypy's stubtest, the package and examples
# with mypy --strict and ruff, and the Node declarations (lib/*.d.ts, *.d.mts)
# with tsc --strict (as CommonJS and as ESM) and a runtime test of the exports.
# Needs both packages built first: bash scripts/python-env.sh --with-tests
# and bash scripts/node-env.sh (scripts/test.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PASSFORT_VENV:-.venv}"
python="$venv/bin/python"
if [ ! -x "$python" ] || ! "$python" -c "import passfort, mypy, ruff" 2>/dev/null; then
  echo "check-types: no built package with mypy and ruff in $venv; run: bash scripts/python-env.sh --with-tests" >&2
  exit 1
fi

echo "== Python: the installed package runs this source's .py files (stubtest imports it; the stub is read from the source)"
"$python" - <<'PY'
import filecmp, importlib, os, sys
for package, source in (("passfort", "bindings-python/python/passfort"), ("passfort_emulator", "emulator-python/python/passfort_emulator")):
    installed = os.path.dirname(importlib.import_module(package).__file__)
    names = sorted(n for n in os.listdir(source) if n.endswith(".py"))
    def same(name):
        there = os.path.join(installed, name)
        return os.path.exists(there) and filecmp.cmp(os.path.join(source, name), there, shallow=False)
    stale = [n for n in names if not same(n)]
    if stale:
        sys.exit(f"{installed} differs from {source} in {', '.join(stale)}: run bash scripts/python-env.sh --with-tests")
PY

echo "== Python: stubtest (both packages, _native.pyi included, against the built modules)"
MYPYPATH=bindings-python/python:emulator-python/python "$python" -m mypy.stubtest passfort passfort_emulator \
  --mypy-config-file pyproject.toml --allowlist tests/python/stubtest-allowlist.txt

echo "== Python: mypy --strict (the packages, the examples and the typing test of the generated operations)"
MYPYPATH=emulator-python/python "$python" -m mypy --strict --config-file pyproject.toml \
  bindings-python/python/passfort emulator-python/python/passfort_emulator examples/*.py tests/python/typing_operations.py \
  examples/fleet/python

echo "== Python: ruff check"
"$python" -m ruff check bindings-python/python emulator-python/python tests/python examples

echo "== Node: tsc --strict over tests/node/types, as CommonJS and as ESM"
npx --no-install tsc --strict --noEmit -p tests/node/types/tsconfig.cjs.json
npx --no-install tsc --strict --noEmit -p tests/node/types/tsconfig.esm.json

echo "== Node: the declared exports against the runtime ones"
node --test tests/node/exports.test.js

echo "== Generated operation methods (Python, Node, README table) match the core's table"
python3 scripts/gen-operations.py --check
