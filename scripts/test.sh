#!/usr/bin/env bash
# Runs every test of the project. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: formatting and lints (rustfmt.toml; clippy with the MSRV in Cargo.toml)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Rust: core and emulator (unit, integration, doc tests, examples build)"
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc

echo "== Rust quick-start runs to the end"
cargo run --locked --quiet -p passfort-core --example quickstart > /dev/null

echo "== Python: build the package into a virtual environment, then pytest"
bash scripts/python-env.sh --with-tests
"${PASSFORT_VENV:-.venv}/bin/python" -m pytest tests/python -q -p no:cacheprovider

echo "== Node: build the addon, type-check the TypeScript example, node --test"
bash scripts/node-env.sh
npx --no-install tsc --noEmit -p examples/tsconfig.json
node --test tests/node/*.test.js tests/node/*.test.mjs

echo "== Typings against the built modules: stubtest, mypy --strict, ruff, tsc --strict, exports"
bash scripts/check-types.sh

echo "== Benchmarks: a smoke run of bench/run (tiny counts, the debug builds above)"
bench/run --smoke
