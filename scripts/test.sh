#!/usr/bin/env bash
# Runs every test of the project. `.ci/run` runs exactly this.
# The bindings are built once, as released (scripts/dist.sh: release, stripped,
# glibc 2.17), and every Python and Node test below runs against those builds.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: formatting and lints (rustfmt.toml; clippy with the MSRV in Cargo.toml)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Redis for the fleet tests (core/tests/fleet_*.rs start their own redis-server on a free port)"
if ! command -v redis-server > /dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server > /dev/null || { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server > /dev/null; }
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server > /dev/null
  fi
fi
redis-server --version

echo "== Rust: core and emulator (unit, integration, doc tests, examples build)"
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc

echo "== Rust quick-start runs to the end"
cargo run --locked --quiet -p passfort-core --example quickstart > /dev/null

echo "== Packages: scripts/dist.sh writes the wheels, the sdist and the npm tarballs into dist/"
bash scripts/dist.sh

echo "== Installed as users install them: no compiler on PATH, several CPythons, npm, pnpm, Node 18 and 22, the sdist offline"
bash scripts/install-test.sh

echo "== Python: the wheels from dist/ in .venv, then pytest"
bash scripts/python-env.sh --from-dist --with-tests
"${PASSFORT_VENV:-.venv}/bin/python" -m pytest tests/python -q -p no:cacheprovider

echo "== The emulator against PassFort's published schema: schemathesis over all 48 operations (tests/schema/baseline.json)"
bash tests/schema/run.sh

echo "== Node: the addons from dist/'s build where the loader looks, the TypeScript example type-checked, node --test"
bash scripts/node-env.sh --from-dist
npx --no-install tsc --noEmit -p examples/tsconfig.json
node --test tests/node/*.test.js tests/node/*.test.mjs

echo "== Typings against the built modules: stubtest, mypy --strict, ruff, tsc --strict, exports"
bash scripts/check-types.sh

echo "== Benchmarks: a smoke run of bench/run (tiny counts, the builds above)"
bench/run --smoke
