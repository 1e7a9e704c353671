'use strict'
// The Node package against the core: the error table covers exactly the
// core's error codes, and the string unions of index.d.ts list exactly the
// values the core's open enums know (`KNOWN` in core/src/models.rs).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const passfort = require('passfort')
const native = require('../../bindings-node/lib/native.js')
const { CLASS_BY_CODE } = require('../../bindings-node/lib/errors.js')
const { ROOT, stringUnions } = require('./declarations.js')

const sorted = (values) => [...values].sort()

/** The union in index.d.ts for each of the core's open enums. */
const UNION_FOR_ENUM = {
  CheckType: 'CheckType',
  CheckState: 'CheckState',
  CheckResult: 'CheckResult',
  Decision: 'Decision',
  TaskState: 'TaskState',
  TaskType: 'TaskType',
  Role: 'Role',
  ErrorSource: 'ErrorDetail.source',
}

/** The union in the generated operations.d.ts (from the published description) for the others. */
const GENERATED_UNION_FOR_ENUM = {
  ApplicationStatus: 'ProductApplicationStatus',
  ApplicationFlag: 'ProductApplicationFlag',
  EventResolution: 'EventResolution',
  EventType: 'EventType',
  DocumentImageType: 'DocumentImageType',
  RiskLevel: 'RiskLevelCategory',
  ProfileStatus: 'ProfileStatus',
}

test("CLASS_BY_CODE has a class for exactly the core's error codes (the addon's errorCodes())", () => {
  const codes = native.errorCodes()
  assert.ok(codes.length > 0)
  assert.deepEqual(sorted(Object.keys(CLASS_BY_CODE)), sorted(codes))
})

test('every class of CLASS_BY_CODE is exported by the package', () => {
  const exported = new Set(Object.values(passfort))
  for (const [code, cls] of Object.entries(CLASS_BY_CODE)) assert.ok(exported.has(cls), `${code}: ${cls.name} is not exported`)
})

function checkUnions(known, source) {
  for (const [file, map] of [['index.d.ts', UNION_FOR_ENUM], ['operations.d.ts', GENERATED_UNION_FOR_ENUM]]) {
    const unions = stringUnions(file)
    for (const [name, union] of Object.entries(map)) {
      assert.ok(known[name], `${source} has no ${name}`)
      assert.ok(unions.has(union), `${file} declares no ${union}`)
      assert.deepEqual(sorted(unions.get(union)), sorted(known[name]), `${union} in ${file} against ${name} in ${source}`)
    }
  }
}

test("the string unions of index.d.ts list exactly the core's KNOWN values (from the addon)", (t) => {
  if (typeof native.knownEnums !== 'function') {
    t.skip('the addon exports no knownEnums(): bindings-node/src does not expose the core\'s open-enum KNOWN lists yet')
    return
  }
  checkUnions(native.knownEnums(), 'knownEnums()')
})

/** The `KNOWN` values of each `open_enum!` in core/src/models.rs, read from the source. */
function knownFromCoreSource(file) {
  const known = {}
  const text = fs.readFileSync(file, 'utf8')
  for (const [, name, body] of text.matchAll(/open_enum!\s*\{[^]*?pub enum (\w+)\s*\{([^]*?)\}\s*\}/g)) {
    known[name] = [...body.matchAll(/=>\s*"([^"]*)"/g)].map((match) => match[1])
  }
  return known
}

test("the string unions of index.d.ts list exactly the core's KNOWN values (from core/src/models.rs)", (t) => {
  const file = path.join(ROOT, 'core', 'src', 'models.rs')
  if (!fs.existsSync(file)) {
    t.skip('core/src/models.rs is not here (not a source checkout)')
    return
  }
  const known = knownFromCoreSource(file)
  const mapped = [...Object.keys(UNION_FOR_ENUM), ...Object.keys(GENERATED_UNION_FOR_ENUM)]
  assert.deepEqual(sorted(Object.keys(known)), sorted(mapped), 'the open enums of core/src/models.rs')
  checkUnions(known, 'core/src/models.rs')
})
