'use strict'
// The hand-written declarations against the runtime: every export of
// require('passfort') and require('passfort/testing') is declared in
// lib/index.d.ts and lib/testing.d.ts, every declared value exists at runtime
// as what it is declared as, and so do the members of each declared class.
// The ESM entry points (lib/*.mjs, typed by lib/*.d.mts) are held to the same.
// (The signatures themselves are type-checked by tests/node/types/usage.ts.)

const test = require('node:test')
const assert = require('node:assert/strict')
const { declaredExports, classMembers } = require('./declarations.js')

const ENTRY_POINTS = [
  { specifier: 'passfort', declarations: 'index.d.ts', esmDeclarations: 'index.d.mts' },
  { specifier: 'passfort/testing', declarations: 'testing.d.ts', esmDeclarations: 'testing.d.mts' },
]

const sorted = (names) => [...names].sort()
const STATIC_BUILTINS = new Set(['length', 'name', 'prototype'])

/** An instance of each declared class, to check instance properties; closed by `done`. */
async function instanceOf(name, cls, cleanups) {
  if (name === 'PassFort') {
    const client = new cls({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9/4.0' })
    cleanups.push(() => client.close())
    return client
  }
  if (name === 'Emulator') {
    const emulator = await cls.start({ webhookSecret: 'exports-test-webhook-secret' })
    cleanups.push(() => emulator.close())
    return emulator
  }
  if (cls.prototype instanceof Error) return new cls('message')
  return undefined
}

for (const { specifier, declarations, esmDeclarations } of ENTRY_POINTS) {
  const runtime = require(specifier)
  const { checker, values } = declaredExports(declarations)

  test(`${specifier}: every runtime export is declared in ${declarations} as a value`, () => {
    const undeclared = Object.keys(runtime).filter((name) => !values.has(name))
    assert.deepEqual(undeclared, [], `exported by require('${specifier}') but not declared`)
  })

  test(`${specifier}: every value declared in ${declarations} exists at runtime, as declared`, () => {
    assert.ok(values.size > 0)
    for (const [name, { kind }] of values) {
      assert.ok(name in runtime, `${name} is declared (${kind}) but require('${specifier}') has no ${name}`)
      const value = runtime[name]
      if (kind === 'class') {
        assert.equal(typeof value, 'function', `${name} is declared as a class`)
        assert.equal(typeof value.prototype, 'object', `${name} is declared as a class`)
      } else if (kind === 'function') {
        assert.equal(typeof value, 'function', `${name} is declared as a function`)
      } else {
        assert.notEqual(value, undefined, `${name} is declared as a ${kind}`)
      }
    }
  })

  test(`${specifier}: the members of each declared class exist at runtime, and nothing undeclared`, async () => {
    const cleanups = []
    try {
      for (const [name, { kind, symbol }] of values) {
        if (kind !== 'class') continue
        const cls = runtime[name]
        if (typeof cls !== 'function') continue // reported by the test above
        const { instance, statics, properties } = classMembers(checker, symbol)
        for (const [member, { kind: memberKind }] of statics) {
          assert.ok(member in cls, `${name}.${member} is declared static but missing`)
          if (memberKind === 'method') assert.equal(typeof cls[member], 'function', `${name}.${member}`)
        }
        const runtimeStatics = Object.getOwnPropertyNames(cls).filter((member) => !STATIC_BUILTINS.has(member))
        assert.deepEqual(runtimeStatics.filter((member) => !statics.has(member)), [], `undeclared statics of ${name}`)

        for (const [member, { kind: memberKind }] of instance) {
          if (memberKind === 'method') assert.equal(typeof cls.prototype[member], 'function', `${name}.prototype.${member} is declared as a method`)
        }
        const runtimeMembers = Object.getOwnPropertyNames(cls.prototype).filter((member) => member !== 'constructor')
        assert.deepEqual(runtimeMembers.filter((member) => !properties.has(member)), [], `undeclared members of ${name}.prototype`)

        const object = await instanceOf(name, cls, cleanups)
        if (object === undefined) continue
        for (const [property, { optional }] of properties) {
          if (!optional) assert.ok(property in object, `new ${name}(): declared ${property} is missing`)
        }
        const own = Object.keys(object).filter((property) => !properties.has(property))
        assert.deepEqual(own, [], `new ${name}(): properties not declared`)
      }
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup()
    }
  })

  test(`${specifier} as ESM: the same named exports as require, as ${esmDeclarations} declares`, async () => {
    const esm = await import(specifier)
    const { values: esmValues } = declaredExports(esmDeclarations)
    const named = Object.keys(esm).filter((name) => name !== 'default')
    assert.deepEqual(sorted(named), sorted(Object.keys(runtime)), `import('${specifier}') and require('${specifier}') differ`)
    for (const name of named) assert.equal(esm[name], runtime[name], `${name} is not the same object in ESM and CommonJS`)
    assert.deepEqual(sorted(esmValues.keys()), sorted(Object.keys(esm)), `${esmDeclarations} and import('${specifier}') differ`)
  })
}

test("import passfort from 'passfort' is the PassFort class, as index.d.mts declares", async () => {
  const esm = await import('passfort')
  assert.equal(esm.default, require('passfort').PassFort)
  const { values } = declaredExports('index.d.mts')
  assert.equal(values.get('default')?.kind, 'class')
  assert.equal(values.get('default')?.symbol, values.get('PassFort')?.symbol)
})

test('require(passfort) has no default export, and index.d.ts declares none', () => {
  assert.equal(require('passfort').default, undefined)
  assert.equal(declaredExports('index.d.ts').values.has('default'), false)
})

test('CheckWaitTimeout is CheckWaitTimeoutError', () => {
  const { CheckWaitTimeout, CheckWaitTimeoutError } = require('passfort')
  assert.equal(CheckWaitTimeout, CheckWaitTimeoutError)
})
