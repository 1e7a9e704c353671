'use strict'
// The shared hostile-argument table (tests/scenarios/hostile-arguments.json):
// every row is refused with a TypeError (the package's InvalidArgumentError
// for range rows) before any request reaches the emulator.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const { PassFort, InvalidArgumentError } = require('passfort')
const { API_KEY, startEmulator } = require('./helpers.js')

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios', 'hostile-arguments.json'), 'utf8'))
const durations = new Set(table.durations)

function special(value) {
  if (value && typeof value === 'object' && '$' in value) {
    switch (value.$) {
      case 'NaN':
        return NaN
      case 'Infinity':
        return Infinity
      case '-Infinity':
        return -Infinity
      case 'big_int':
        return 1e400
      case 'long':
        return 'x'.repeat(value.bytes)
      case 'deep': {
        let deep = 1
        for (let i = 0; i < value.depth; i++) deep = [deep]
        return deep
      }
      case 'date':
        return new Date(0)
    }
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, special(v)]))
  return value
}

const camel = (name) => name.replace(/_(.)/g, (_, c) => c.toUpperCase())

/** The row's arguments as Node names and units them. */
function nodeArgs(args) {
  const out = {}
  for (const [name, value] of Object.entries(args)) {
    const given = special(value)
    if (durations.has(name)) out[`${camel(name)}Ms`] = typeof given === 'number' ? given * 1000 : given
    else out[camel(name)] = given
  }
  return out
}

async function invoke(client, call, args) {
  const { profileId = 'p1', checkId = 'c1', checkType = 'IDENTITY_CHECK', role = 'INDIVIDUAL_CUSTOMER', collectedData = {}, query, ...rest } = args
  switch (call) {
    case 'wait_for_check':
      return client.waitForCheck(profileId, checkId, rest)
    case 'run_check':
      return client.runCheck(profileId, { checkType, ...rest })
    case 'run_check_and_wait':
      return client.runCheckAndWait(profileId, { checkType, ...rest })
    case 'verify_task':
      return client.verifyTask(profileId, 't1', { checkType, ...rest })
    case 'run_checks':
      return client.runChecks([{ profileId: 'p1', checkType: 'IDENTITY_CHECK' }], rest)
    case 'list_profiles':
      return client.listProfiles({ query, ...rest }).next()
    case 'create_profile':
      return client.createProfile(role, collectedData)
  }
  throw new Error(`no such call in the table: ${call}`)
}

test('every hostile argument is refused with a typed error before any request', async () => {
  const emulator = await startEmulator()
  try {
    for (const row of table.rows) {
      const args = nodeArgs(row.args)
      const label = `${row.call} ${JSON.stringify(row.args).slice(0, 80)}`
      let error
      try {
        if (row.call === 'client') new PassFort({ apiKey: 'k', baseUrl: emulator.baseUrl, ...args })
        else await invoke(new PassFort({ apiKey: API_KEY, baseUrl: emulator.baseUrl }), row.call, args)
      } catch (caught) {
        error = caught
      }
      assert.ok(error instanceof TypeError, `${label}: ${error}`)
      if (row.error === 'range') assert.ok(error instanceof InvalidArgumentError, `${label}: ${error}`)
      assert.ok(error.message.length < 400, `${label}: a short message`)
    }
    assert.deepEqual(emulator.requests(), [])
  } finally {
    await emulator.close()
  }
})
