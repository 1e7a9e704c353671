#!/usr/bin/env node
// Builds the native addon with @napi-rs/cli on `npm install` (a consumer's,
// or the root of a clone). Release by default; PASSFORT_NODE_BUILD=debug for
// a quicker debug build (the test scripts use it).
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..')
const binary = path.join(root, 'bindings-node', 'lib', `passfort.${process.platform}-${process.arch}-gnu.node`)

// Installed from a git URL, npm builds in its clone, then packs the result
// into the consumer's node_modules: no second build there.
if (root.split(path.sep).includes('node_modules') && fs.existsSync(binary)) process.exit(0)

/** @napi-rs/cli's entry point, installing our own dependencies first if need be. */
function napiCli() {
  const find = () => require.resolve('@napi-rs/cli/package.json', { paths: [root, process.env.INIT_CWD].filter(Boolean) })
  try {
    return path.join(path.dirname(find()), 'dist', 'cli.js')
  } catch {
    // A directory install (`npm install ../passfort`) only links this folder
    // and installs none of its dependencies: install them here, then build.
    const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []]
    const args = [...npm[1], 'install', '--no-save', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund']
    const installed = spawnSync(npm[0], args, { cwd: root, stdio: 'inherit' })
    if (installed.status !== 0) process.exit(installed.status ?? 1)
    return path.join(path.dirname(find()), 'dist', 'cli.js')
  }
}

const cli = napiCli()
const profile = process.env.PASSFORT_NODE_BUILD === 'debug' ? [] : ['--release']
const args = [
  cli, 'build', '--platform', ...profile,
  '--manifest-path', path.join(root, 'bindings-node', 'Cargo.toml'),
  '--package-json-path', path.join(root, 'package.json'),
  '--output-dir', path.join(root, 'bindings-node', 'lib'),
  '--js', 'native.js', '--dts', 'native.d.ts',
]
const built = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
process.exit(built.status === null ? 1 : built.status)
