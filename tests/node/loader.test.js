'use strict'
// The loader picks this platform's addon and, where there is none, says which
// platform it looked for and how to build from source (scripts/install-test.sh
// also runs this against the installed tarballs, with process.platform faked).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { loadAddon, platformTriple, PREBUILT } = require('../../bindings-node/lib/loader.js')

const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'passfort-loader-'))

test('this machine is one of the prebuilt platforms, and the addon loads from the package or a local build', () => {
  assert.ok(PREBUILT.includes(platformTriple()), platformTriple())
  const native = require('../../bindings-node/lib/native.js')
  assert.equal(typeof native.NativeClient, 'function')
})

test('a platform without a prebuilt package: the error names it and how to build from source', () => {
  assert.throws(
    () => loadAddon('passfort', empty, 'freebsd-x64'),
    (error) => {
      assert.equal(error.code, 'PASSFORT_NO_NATIVE_ADDON')
      assert.equal(error.platform, 'freebsd-x64')
      assert.match(error.message, /no native addon for this platform \(freebsd-x64\)/)
      assert.match(error.message, /passfort-freebsd-x64/)
      assert.match(error.message, /Prebuilt packages exist for linux-x64-gnu/)
      assert.match(error.message, /To build from source/)
      return true
    }
  )
})

test('a prebuilt platform whose package was left out: the error says to install optional dependencies', () => {
  assert.throws(() => loadAddon('passfort', empty, 'linux-arm64-musl'), /A prebuilt passfort-linux-arm64-musl exists: install without --omit=optional/)
})

test('platform names follow napi-rs', () => {
  assert.equal(platformTriple('darwin', 'arm64'), 'darwin-arm64')
  assert.equal(platformTriple('win32', 'x64'), 'win32-x64-msvc')
  assert.match(platformTriple('linux', 'x64'), /^linux-x64-(gnu|musl)$/)
})
