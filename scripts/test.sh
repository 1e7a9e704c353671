#!/usr/bin/env bash
# Runs every test of the project. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: core and emulator (unit, integration, doc tests, examples build)"
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc

echo "== Quick-start (the README's main job) runs to the end"
cargo run --locked --quiet -p passfort-core --example quickstart > /dev/null
