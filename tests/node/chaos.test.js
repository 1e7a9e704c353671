'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const { startEmulator, person } = require('./helpers.js')

const plan = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'chaos-faults.json'), 'utf8'))

test('a hundred checks under faults: none doubled, none lost', async () => {
  const emulator = await startEmulator({ providerLatencyMs: 200 })
  const client = emulator.client({ timeoutMs: 2000, maxRetries: 3 })
  const profiles = await Promise.all(Array.from({ length: 100 }, () => client.createProfile('INDIVIDUAL_CUSTOMER', person())))
  profiles
    .filter((_, index) => plan.faulted_calls_mod_5.includes(index % 5))
    .forEach((profile, nth) => {
      const { on, delay_ms: delayMs, ...fault } = plan.faults[nth % plan.faults.length]
      const method = on === 'post' ? 'POST' : 'GET'
      const faultPath = `/4.0/profiles/${profile.id}/checks${on === 'post' ? '' : '/*'}`
      emulator.fault({ method, path: faultPath, delayMs, ...fault })
    })
  const results = await Promise.allSettled(profiles.map((p) => client.runCheckAndWait(p.id, { checkType: 'IDENTITY_CHECK', mode: 'async' }, { waitTimeoutMs: 90000 })))
  const checks = emulator.checks()
  const byProfile = new Map()
  for (const check of checks) byProfile.set(check.profile_id, [...(byProfile.get(check.profile_id) ?? []), check.id])
  assert.equal(checks.length, 100)
  assert.ok([...byProfile.values()].every((ids) => ids.length === 1), 'no duplicates')
  results.forEach((result, index) => {
    assert.equal(result.status, 'fulfilled', String(result.reason))
    assert.equal(result.value.id, byProfile.get(profiles[index].id)[0])
    assert.ok(result.value.isComplete)
  })
  await emulator.close()
})
