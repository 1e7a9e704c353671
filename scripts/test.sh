#!/usr/bin/env bash
# Runs every test of the project. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: core and emulator (unit, integration, doc tests, examples build)"
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc

echo "== Rust quick-start runs to the end"
cargo run --locked --quiet -p passfort-core --example quickstart > /dev/null

echo "== Python: build the package into a virtual environment, then pytest"
bash scripts/python-env.sh --with-tests
"${PASSFORT_VENV:-.venv}/bin/python" -m pytest tests/python -q -p no:cacheprovider
