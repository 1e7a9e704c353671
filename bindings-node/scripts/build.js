#!/usr/bin/env node
// Builds the native addon with @napi-rs/cli on `npm install` (a consumer's,
// or the root of a clone). Release by default; PASSFORT_NODE_BUILD=debug for
// a quicker debug build (the test script uses it).
'use strict'

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..')
const profile = process.env.PASSFORT_NODE_BUILD === 'debug' ? [] : ['--release']
const cliPackage = require.resolve('@napi-rs/cli/package.json', { paths: [root] })
const cli = path.join(path.dirname(cliPackage), 'dist', 'cli.js')
const args = [
  cli, 'build', '--platform', ...profile,
  '--manifest-path', path.join(root, 'bindings-node', 'Cargo.toml'),
  '--package-json-path', path.join(root, 'package.json'),
  '--output-dir', path.join(root, 'bindings-node', 'lib'),
  '--js', 'native.js', '--dts', 'native.d.ts',
]
const built = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
process.exit(built.status === null ? 1 : built.status)
