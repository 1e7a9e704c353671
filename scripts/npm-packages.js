#!/usr/bin/env node
// Stages and packs the npm packages the napi-rs way: for each addon a main
// package (JavaScript, typings, the loader; `optionalDependencies` on its
// platform packages at the exact version; no install script) and one package
// per platform holding the prebuilt `.node` (with `os`, `cpu`, `libc`).
//
//   node scripts/npm-packages.js --out dist --platform linux-x64-gnu \
//     --addon passfort=PATH.so --addon passfort-emulator=PATH.so
//
// Several --platform flags list every platform whose packages are published
// together (the release workflow's publish job); an --addon is packed for the
// first platform only (each platform's build job packs its own).
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.resolve(__dirname, '..')

function parseArgs(argv) {
  const args = { platforms: [], addons: {}, out: 'dist' }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (value === undefined) throw new Error(`${flag} needs a value`)
    if (flag === '--out') args.out = path.resolve(value)
    else if (flag === '--platform') args.platforms.push(value)
    else if (flag === '--addon') {
      const [name, file] = value.split('=')
      args.addons[name] = path.resolve(file)
    } else throw new Error(`unknown flag ${flag}`)
  }
  if (args.platforms.length === 0) throw new Error('at least one --platform')
  return args
}

/** `linux-x64-gnu` → the package.json fields npm installs by. */
function platformFields(triple) {
  const [os, cpu, abi] = triple.split('-')
  const fields = { os: [os], cpu: [cpu] }
  if (os === 'linux') fields.libc = [abi === 'musl' ? 'musl' : 'glibc']
  return fields
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const writeJson = (file, value) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n')

function copyInto(stage, from, relative) {
  const target = path.join(stage, relative)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.copyFileSync(path.join(from, relative), target)
}

/** The files a manifest's `files` names (simple `dir/*.ext` globs and plain paths). */
function listed(from, patterns) {
  const found = []
  for (const pattern of patterns) {
    const star = pattern.indexOf('*')
    if (star === -1) {
      found.push(pattern)
      continue
    }
    const dir = path.dirname(pattern)
    const suffix = pattern.slice(star + 1)
    for (const name of fs.readdirSync(path.join(from, dir)).sort()) {
      if (name.endsWith(suffix)) found.push(path.join(dir, name))
    }
  }
  return found
}

function pack(stage, out) {
  const output = execFileSync('npm', ['pack', '--pack-destination', out, '--json'], { cwd: stage, encoding: 'utf8' })
  const [packed] = JSON.parse(output)
  console.log(`  ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`)
}

/**
 * Each main package's relation to the other, at the exact version. Stated only
 * when published: in the clone (an npm workspace) npm would look for them in
 * the registry.
 */
const PEERS = {
  passfort: { peerDependencies: { 'passfort-emulator': null }, peerDependenciesMeta: { 'passfort-emulator': { optional: true } } },
  'passfort-emulator': { peerDependencies: { passfort: null } },
}

/** A main package: its manifest without what only a clone needs, plus the platform packages. */
function stageMain({ from, out, platforms }) {
  const manifest = readJson(path.join(from, 'package.json'))
  const stage = fs.mkdtempSync(path.join(out, '.stage-'))
  for (const field of ['scripts', 'devDependencies', 'workspaces', 'napi']) delete manifest[field]
  const version = manifest.version
  manifest.optionalDependencies = Object.fromEntries(platforms.map((triple) => [`${manifest.name}-${triple}`, version]))
  const peers = PEERS[manifest.name]
  manifest.peerDependencies = Object.fromEntries(Object.keys(peers.peerDependencies).map((name) => [name, version]))
  if (peers.peerDependenciesMeta) manifest.peerDependenciesMeta = peers.peerDependenciesMeta
  writeJson(path.join(stage, 'package.json'), manifest)
  // npm packs README and LICENSE whatever `files` says; the licence is the repository's.
  for (const file of listed(from, manifest.files)) copyInto(stage, from, file)
  copyInto(stage, from, 'README.md')
  copyInto(stage, root, 'LICENSE')
  pack(stage, out)
  fs.rmSync(stage, { recursive: true })
  return manifest
}

function stagePlatform({ main, triple, addon, out }) {
  const name = `${main.name}-${triple}`
  const binary = `${main.name}.${triple}.node`
  const stage = fs.mkdtempSync(path.join(out, '.stage-'))
  const manifest = {
    name,
    version: main.version,
    description: `The ${triple} native addon of ${main.name}`,
    license: main.license,
    repository: main.repository,
    main: binary,
    files: [binary, 'LICENSE'],
    ...platformFields(triple),
    engines: main.engines,
  }
  writeJson(path.join(stage, 'package.json'), manifest)
  fs.copyFileSync(addon, path.join(stage, binary))
  copyInto(stage, root, 'LICENSE')
  fs.writeFileSync(path.join(stage, 'README.md'), `# ${name}\n\nThe prebuilt ${triple} addon of [\`${main.name}\`](https://www.npmjs.com/package/${main.name}); install that package, not this one.\n`)
  pack(stage, out)
  fs.rmSync(stage, { recursive: true })
}

function main() {
  const { out, platforms, addons } = parseArgs(process.argv.slice(2))
  fs.mkdirSync(out, { recursive: true })
  const sources = { passfort: root, 'passfort-emulator': path.join(root, 'emulator-node') }
  for (const [name, from] of Object.entries(sources)) {
    const manifest = stageMain({ from, out, platforms })
    if (manifest.name !== name) throw new Error(`${from}/package.json names ${manifest.name}, not ${name}`)
    if (addons[name]) stagePlatform({ main: manifest, triple: platforms[0], addon: addons[name], out })
  }
}

main()
