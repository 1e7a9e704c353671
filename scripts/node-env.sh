#!/usr/bin/env bash
# Installs the Node package's development dependencies and puts the addons
# where the loader looks first (bindings-node/lib/passfort.<platform>.node,
# emulator-node/passfort-emulator.<platform>.node).
#   (no flag)      built from this source with napi build, in the debug profile
#   --from-dist    the release builds scripts/dist.sh made (what dist/ ships)
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm install`, not `npm ci`: @napi-rs/cli pulls in @napi-rs/lzma, whose optional
# per-platform packages npm cannot resolve and so leaves out of any lock file,
# which `npm ci` then refuses. `npm install` still follows package-lock.json.
npm install --no-audit --no-fund --loglevel=error
triple=$(node -p "require('./bindings-node/lib/loader.js').platformTriple()")
if [ "${1:-}" = "--from-dist" ]; then
  built=target/x86_64-unknown-linux-gnu/release
  cp "$built/libpassfort_node.so" "bindings-node/lib/passfort.$triple.node"
  cp "$built/libpassfort_emulator_node.so" "emulator-node/passfort-emulator.$triple.node"
else
  napi() { npx --no-install napi build --platform --no-js "$@"; }
  napi --manifest-path bindings-node/Cargo.toml --package-json-path package.json --output-dir bindings-node/lib --dts native.d.ts
  napi --manifest-path emulator-node/Cargo.toml --package-json-path emulator-node/package.json --output-dir emulator-node --dts native.d.ts
fi
