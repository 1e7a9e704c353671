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

// A directory install (`npm install ../passfort`) puts our dependencies in
// the consumer's node_modules; npm names the consumer's folder in INIT_CWD.
const searchFrom = [root, process.env.INIT_CWD].filter(Boolean)
const cliPackage = require.resolve('@napi-rs/cli/package.json', { paths: searchFrom })
const cli = path.join(path.dirname(cliPackage), 'dist', 'cli.js')
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
