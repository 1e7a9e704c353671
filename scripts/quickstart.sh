#!/usr/bin/env bash
# The main job: the quick-starts against an emulator embedded in the process.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust quick-start (core/examples/quickstart.rs)"
cargo run --locked --quiet -p passfort-core --example quickstart

echo "== Python quick-start (examples/quickstart.py)"
bash scripts/python-env.sh
"${PASSFORT_VENV:-.venv}/bin/python" examples/quickstart.py

echo "== Node quick-start (examples/quickstart.ts)"
bash scripts/node-env.sh
npx --no-install tsc -p examples/tsconfig.json
node target/ts-examples/quickstart.js
