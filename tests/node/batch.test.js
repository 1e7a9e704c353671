'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { NotFoundError, AbortError } = require('passfort')
const { startEmulator, person, until, heldRequests, quiesce } = require('./helpers.js')

const MISSING_PROFILE = '00000000-0000-4000-8000-000000000000'

test('runChecks resolves to one item per request, in input order, each with its check or error', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  try {
    const ids = []
    for (const [index, name] of ['Smith', 'Fail', 'Smith', 'Error'].entries()) {
      const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person(name))
      // Later items finish first.
      emulator.script(profile.id, 'IDENTITY_CHECK', [index % 2 === 0 ? '2+2' : 'Fail'], { latencyMs: 200 - index * 50 })
      ids.push(profile.id)
    }
    const requests = ids.map((profileId) => ({ profileId, checkType: 'IDENTITY_CHECK' }))
    requests.splice(2, 0, { profileId: MISSING_PROFILE, checkType: 'IDENTITY_CHECK' })
    const seen = []

    const items = await client.runChecks(requests, { concurrency: 3, onProgress: (p) => seen.push(p) })

    assert.deepEqual(items.map((item) => item.request), requests)
    assert.deepEqual(items.map((item) => item.ok), [true, true, false, true, true])
    assert.deepEqual(items.filter((i) => i.ok).map((i) => i.check.decision), ['PASS', 'FAIL', 'PASS', 'FAIL'])
    assert.ok(items[2].error instanceof NotFoundError)
    assert.deepEqual(seen.map((p) => p.done), [1, 2, 3, 4, 5])
    assert.deepEqual(seen.at(-1), { done: 5, total: 5, failed: 1 })
    assert.equal(emulator.checks().length, 4)
  } finally {
    await emulator.close()
  }
})

test('bad batch input is refused before any request', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  try {
    await assert.rejects(client.runChecks([{ profileId: 'p', checkType: 'IDENTITY_CHECK' }, 42]), /request 1/)
    await assert.rejects(client.runChecks([{ profileId: 'p', checkType: 'IDENTITY_CHECK' }], { concurrency: 0 }), TypeError)
    await assert.rejects(client.runChecks([], { onProgress: 'yes' }), /onProgress/)
    assert.equal(emulator.requests().length, 0)
    assert.deepEqual(await client.runChecks([]), [])
  } finally {
    await emulator.close()
  }
})

test('aborting the signal cancels the whole batch', async () => {
  const emulator = await startEmulator({ providerLatencyMs: 30_000 })
  const client = emulator.client()
  try {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const requests = Array.from({ length: 40 }, () => ({ profileId: profile.id, checkType: 'IDENTITY_CHECK' }))
    // The first four creations are held in the emulator (which does their work all the same): the batch
    // is aborted with exactly those four requests out, all of them already received.
    emulator.fault({ method: 'POST', path: '/4.0/profiles/*/checks', action: 'delay', delayMs: 300, times: 4 })
    const controller = new AbortController()
    const batch = client.runChecks(requests, { concurrency: 4, mode: 'async', signal: controller.signal })
    await until(() => heldRequests(emulator) === 4, 'four creations held')
    controller.abort()
    await assert.rejects(batch, AbortError)
    const made = emulator.requests().length
    // A worker still running would read its check about a second after its creation was answered.
    await quiesce(emulator, { idleMs: 1500 })
    assert.equal(emulator.requests().length, made, 'nothing after the abort')
    assert.equal(emulator.checks().length, 4, 'only the items in flight had started')
  } finally {
    await emulator.close()
  }
})

test('verifyTasks resolves to each task outcome in order', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  try {
    const requests = []
    for (const results of [['2+2'], ['Error'], ['Fail', 'Fail', 'Fail']]) {
      const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
      emulator.script(profile.id, 'IDENTITY_CHECK', results)
      requests.push({ profileId: profile.id, taskId: profile.tasks[0].id, checkType: 'IDENTITY_CHECK' })
    }
    requests.push({ profileId: requests[0].profileId, taskId: 'no-such-task', checkType: 'IDENTITY_CHECK' })

    const items = await client.verifyTasks(requests)

    assert.deepEqual(items.slice(0, 3).map((i) => [i.outcome.stop, i.outcome.checks.length]), [['passed', 1], ['needs_review', 1], ['failed', 3]])
    assert.equal(items[3].ok, false)
    assert.ok(items[3].error instanceof Error)
  } finally {
    await emulator.close()
  }
})
