'use strict'
// Finds the native addon for this platform, the way napi-rs packages ship:
// a file next to this one (a build from source), else the platform package
// (`passfort-linux-x64-gnu`, an optional dependency npm installs only where it
// fits). No silent fallback to compiling: a missing addon is a clear error.

const fs = require('node:fs')
const path = require('node:path')

/** The platforms prebuilt packages exist for (see .github/workflows/release.yml). */
const PREBUILT = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    const header = process.report?.getReport?.().header
    return header ? !header.glibcVersionRuntime : false
  }
}

/** napi-rs's name for a platform: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ... */
function platformTriple(platform = process.platform, arch = process.arch) {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/**
 * The addon `name` (`passfort`, `passfort-emulator`): `dir/<name>.<triple>.node`
 * if there is one, else the package `<name>-<triple>` as resolved from `dir`.
 */
function loadAddon(name, dir, triple = platformTriple()) {
  const local = path.join(dir, `${name}.${triple}.node`)
  if (fs.existsSync(local)) return require(local)
  const platformPackage = `${name}-${triple}`
  let resolved
  try {
    resolved = require.resolve(platformPackage, { paths: [dir] })
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error
  }
  if (resolved) return require(resolved)
  const known = PREBUILT.includes(triple)
  const error = new Error(
    `${name}: no native addon for this platform (${triple}); looked for the package ${platformPackage} and the file ${local}. ` +
      (known
        ? `A prebuilt ${platformPackage} exists: install without --omit=optional / --no-optional (and with a lock file made on a machine of this platform, or deleted) so that it is installed. `
        : `Prebuilt packages exist for ${PREBUILT.join(', ')}. `) +
      'To build from source (needs Rust 1.80+): clone https://github.com/passfort-sdk/passfort-sdk, run `bash scripts/dist.sh`, and install the tarballs it writes into dist/.'
  )
  error.code = 'PASSFORT_NO_NATIVE_ADDON'
  error.platform = triple
  throw error
}

module.exports = { loadAddon, platformTriple, PREBUILT }
