#!/usr/bin/env bash
# schemathesis against the emulator, over every operation of the published schema
# (tests/fixtures/passfort-openapi-4.0-2019.json), every check on, a fixed seed, a bounded number
# of cases; exits non-zero on any difference not in tests/schema/baseline.json.
#   PASSFORT_EMULATOR_BIN  the emulator binary (default: target/debug/passfort-emulator under
#                          $CARGO_TARGET_DIR or ./target, built with cargo when missing)
#   PASSFORT_VENV          the virtual environment holding schemathesis (default .venv; see
#                          scripts/python-env.sh --with-tests)
#   SCHEMA_MAX_EXAMPLES, SCHEMA_WORKERS, SCHEMA_RUN_VERBOSE=1 (schemathesis's own output on stderr)
# Arguments after `--` go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PASSFORT_VENV:-.venv}"
if [ -n "${PASSFORT_EMULATOR_BIN:-}" ]; then
  bin="$PASSFORT_EMULATOR_BIN"
else
  bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/passfort-emulator"
  [ -x "$bin" ] || cargo build --quiet -p passfort-emulator --bin passfort-emulator
fi
[ -x "$venv/bin/schemathesis" ] || { echo "run.sh: no schemathesis in $venv: run scripts/python-env.sh --with-tests" >&2; exit 2; }
exec "$venv/bin/python" tests/schema/run.py --emulator "$bin" "$@"
