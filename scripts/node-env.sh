#!/usr/bin/env bash
# Installs the Node package's dependencies and builds its addon (debug, for
# speed) through the package's own install script, as `npm install` does.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm install`, not `npm ci`: @napi-rs/cli pulls in @napi-rs/lzma, whose optional
# per-platform packages npm cannot resolve and so leaves out of any lock file,
# which `npm ci` then refuses. `npm install` still follows package-lock.json.
PASSFORT_NODE_BUILD=debug npm install --no-audit --no-fund --loglevel=error
