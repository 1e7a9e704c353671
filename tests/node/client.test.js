'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { PassFort } = require('passfort')
const { startEmulator, person, requestsTo } = require('./helpers.js')

test('every call resolves to plain camelCase objects', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  try {
    assert.equal((await client.whoami()).institution.name, 'Emulated Institution')
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    assert.equal(profile.displayName, 'Ada Smith')
    assert.deepEqual(profile.tasks.map((t) => t.type), ['INDIVIDUAL_VERIFY_IDENTITY', 'INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE'])
    assert.ok(profile.creationDate instanceof Date)
    assert.equal((await client.getProfile(profile.id)).id, profile.id)
    const task = profile.tasks[0]

    const check = await client.runCheck(profile.id, { checkType: 'IDENTITY_CHECK', taskIds: [task.id], mode: 'sync' })
    assert.equal(check.state, 'COMPLETE')
    assert.equal(check.checkType, 'IDENTITY_CHECK')
    assert.deepEqual([check.result, check.decision, check.isComplete], ['2+2', 'PASS', true])
    assert.ok(check.completedOn instanceof Date)
    assert.deepEqual(check.taskIds, [task.id])
    assert.equal(check.raw.check_type, 'IDENTITY_CHECK', 'raw is the API JSON')
    assert.deepEqual(await client.getCheck(profile.id, check.id), check)
    assert.equal((await client.listChecks(profile.id)).length, 1)

    const pending = await client.runCheck(profile.id, { checkType: 'PEPS_AND_SANCTIONS_SCREEN' })
    assert.equal(pending.state, 'PENDING', 'no mode: screening runs async')
    assert.equal(pending.result, undefined)
    const finished = await client.waitForCheck(profile.id, pending.id, { pollIntervalMs: 50 })
    assert.equal(finished.decision, 'PASS')
    const waited = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', variantAlias: 'quick' })
    assert.equal(waited.variant.alias, 'quick')

    assert.deepEqual((await client.getTask(profile.id, task.id)).checkIds, [check.id])
    assert.equal((await client.listTasks(profile.id)).length, 2)
    const done = await client.completeTask(profile.id, task.id, 'COMPLETED_PASS')
    assert.deepEqual([done.state, done.isComplete], ['COMPLETED_PASS', true])
    assert.equal((await client.completeTask(profile.id, profile.tasks[1].id, 'COMPLETED_FAIL')).state, 'COMPLETED_FAIL')
    assert.deepEqual(requestsTo(emulator, 'POST', '/checks').map((r) => r.query), ['mode=sync', null, 'mode=sync'])
  } finally {
    await client.close()
    await emulator.close()
  }
})

test('listProfiles iterates every page', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  for (let i = 0; i < 5; i++) await client.createProfile('INDIVIDUAL_CUSTOMER', person(`Page${i}`))
  const names = []
  for await (const profile of client.listProfiles({ pageSize: 2 })) names.push(profile.displayName)
  assert.equal(names.length, 5)
  assert.equal(requestsTo(emulator, 'GET', '/4.0/profiles').length, 3)
  const found = []
  for await (const profile of client.listProfiles({ query: 'page3' })) found.push(profile.displayName)
  assert.deepEqual(found, ['Ada Page3'])
  await emulator.close()
})

test('unknown values and fields come back as sent', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
  emulator.script(profile.id, 'VISA_CHECK', ['Clear'])
  const check = await client.runCheck(profile.id, { checkType: 'VISA_CHECK', mode: 'sync' })
  assert.deepEqual([check.checkType, check.result, check.decision], ['VISA_CHECK', 'Clear', 'WARN'])
  assert.deepEqual(check.raw.output_data, { entity_type: 'INDIVIDUAL' })
  assert.deepEqual(Object.keys(check.raw).slice(0, 3), ['id', 'check_type', 'state'], 'key order kept')
  await emulator.close()
})

test('many concurrent calls resolve', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  const profiles = await Promise.all(Array.from({ length: 200 }, () => client.createProfile('INDIVIDUAL_CUSTOMER', person())))
  const checks = await Promise.all(profiles.map((p) => client.runCheckAndWait(p.id, { checkType: 'IDENTITY_CHECK', mode: 'async' })))
  assert.equal(checks.filter((c) => c.isComplete).length, 200)
  assert.equal(emulator.checks().length, 200)
  await emulator.close()
})

test('the constructor falls back to the environment', async () => {
  const emulator = await startEmulator()
  process.env.PASSFORT_API_KEY = emulator.apiKey
  process.env.PASSFORT_BASE_URL = emulator.baseUrl
  try {
    const client = new PassFort()
    assert.equal(client.baseUrl, emulator.baseUrl)
    assert.ok((await client.whoami()).auditeeName)
  } finally {
    delete process.env.PASSFORT_API_KEY
    delete process.env.PASSFORT_BASE_URL
    await emulator.close()
  }
})

test('a waited-for check says how its wait ended', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
  const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' })
  assert.ok(['immediately', 'webhook', 'polling'].includes(check.wait.resolvedBy), JSON.stringify(check.wait))
  assert.equal(typeof check.wait.polls, 'number')
  assert.equal((await client.getCheck(profile.id, check.id)).wait, undefined)
  await emulator.close()
})
