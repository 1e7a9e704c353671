#!/usr/bin/env bash
# Installs the Node package's dependencies and builds its addon (debug, for
# speed) through the package's own install script, as `npm install` does.
set -euo pipefail
cd "$(dirname "$0")/.."
PASSFORT_NODE_BUILD=debug npm ci --no-audit --no-fund --loglevel=error
