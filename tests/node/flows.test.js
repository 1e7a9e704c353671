'use strict'

// The flows from Node: an application decision (blocked, approved, rejected),
// a document check end to end, and bad image input refused before any request;
// the safe collected-data update (a race keeps both changes, typed conflicts, a
// lost write read back); lost answers on an upload and an application create;
// a sync run meeting the gateway timeout.

const test = require('node:test')
const assert = require('node:assert/strict')
const passfort = require('passfort')
const { API_KEY, startEmulator, person, requestsTo } = require('./helpers.js')

const { PassFort, InvalidArgumentError } = passfort

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

async function withClient(run) {
  const emulator = await startEmulator()
  const client = new PassFort({ apiKey: API_KEY, baseUrl: emulator.baseUrl })
  try {
    await run(client, emulator)
  } finally {
    await client.close()
    await emulator.close()
  }
}

test('an application decision is blocked, then approved once the tasks pass', () =>
  withClient(async (client) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const application = await client.applications.create(profile.id, { product: { alias: 'individual-account' } })

    const blocked = await client.decideApplication(profile.id, application.id)
    assert.equal(blocked.outcome, 'blocked')
    assert.equal(blocked.written, false)
    assert.deepEqual(blocked.blockers.map((b) => b.blocker_type), ['INCOMPLETE_TASK', 'INCOMPLETE_TASK'])
    assert.equal(blocked.application.status, 'APPLIED')

    for (const task of await client.listTasks(profile.id)) await client.completeTask(profile.id, task.id, 'COMPLETED_PASS')
    const approved = await client.decideApplication(profile.id, application.id, { signal: new AbortController().signal })
    assert.equal(approved.outcome, 'approved')
    assert.equal(approved.written, true)
    assert.deepEqual(approved.blockers, [])
    assert.equal(approved.application.status, 'APPROVED')
    const again = await client.decideApplication(profile.id, application.id)
    assert.equal(again.outcome, 'approved')
    assert.equal(again.written, false)
  }))

test('a failed task rejects the application', () =>
  withClient(async (client) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const application = await client.applications.create(profile.id, { product: { alias: 'individual-account' } })
    const [first] = await client.listTasks(profile.id)
    await client.completeTask(profile.id, first.id, 'COMPLETED_FAIL')
    const rejected = await client.decideApplication(profile.id, application.id)
    assert.equal(rejected.outcome, 'rejected')
    assert.equal(rejected.application.status, 'REJECTED')
  }))

test('a document check runs end to end', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const check = await client.runDocumentCheck(
      profile.id,
      { image: new Uint8Array(PNG), imageType: 'FRONT', documentType: 'PASSPORT' },
      { waitTimeoutMs: 20_000 },
    )
    assert.equal(check.checkType, 'DOCUMENT_VERIFICATION')
    assert.equal(check.state, 'COMPLETE')
    const data = await client.collectedData.get(profile.id)
    assert.deepEqual(data.documents.map((d) => d.id), [check.raw.document_id])
    assert.equal(requestsTo(emulator, 'POST', '/document_images').length, 1)
    const fromBuffer = await client.runDocumentCheck(profile.id, { image: PNG, imageType: 'FRONT', documentType: 'PASSPORT' })
    assert.equal(fromBuffer.state, 'COMPLETE')
  }))

test('bad image input is refused before any request', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const before = emulator.requests().length
    const tooLarge = Buffer.concat([PNG, Buffer.alloc(4 * 1024 * 1024)])
    const bad = [
      { image: 'not bytes', imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: undefined, imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: [1, 2, 3], imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: Buffer.alloc(0), imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: tooLarge, imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: Buffer.from('plain text'), imageType: 'FRONT', documentType: 'PASSPORT' },
      { image: PNG, imageType: 'front side', documentType: 'PASSPORT' },
      { image: PNG, documentType: 'PASSPORT' },
    ]
    for (const document of bad) {
      await assert.rejects(client.runDocumentCheck(profile.id, document), InvalidArgumentError, JSON.stringify(Object.keys(document)))
    }
    const error = await client.runDocumentCheck(profile.id, { image: 'x', imageType: 'FRONT', documentType: 'PASSPORT' }).catch((e) => e)
    assert.match(error.message, /image must be a Buffer or Uint8Array, not string/)
    const imageTypeError = await client.runDocumentCheck(profile.id, { image: PNG, imageType: 'front', documentType: 'PASSPORT' }).catch((e) => e)
    assert.match(imageTypeError.message, /imageType/)
    assert.equal(emulator.requests().length, before)
  }))

/** Another writer changes the data right after the next read of it (the emulator's control). */
async function afterNextRead(emulator, profileId, change) {
  const answer = await fetch(`${emulator.url}/_emulator/profiles/${profileId}/collected_data/after_next_read`, { method: 'POST', body: JSON.stringify(change) })
  assert.ok(answer.ok, `after_next_read: ${answer.status}`)
}

const collectedWrites = (emulator) => requestsTo(emulator, 'POST', '/collected_data').map((r) => r.status)

test('a collected-data race keeps both changes', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    await afterNextRead(emulator, profile.id, { contact_details: { email: 'other@example.com' } })

    const updated = await client.updateCollectedData(profile.id, [{ op: 'add', path: '/personal_details/name/given_names/-', value: 'Grace' }])

    assert.equal(updated.attempts, 2)
    assert.deepEqual(collectedWrites(emulator), [412, 200], 'met the other writer\'s change once, then wrote')
    const data = await client.collectedData.get(profile.id)
    assert.deepEqual(data.personal_details.name.given_names, ['Ada', 'Grace'])
    assert.deepEqual(data.contact_details, { email: 'other@example.com' })
    assert.deepEqual(updated.data, data)
    assert.equal(typeof updated.etag, 'string')
  }))

test('a collected-data conflict and a failed test are typed, and write nothing', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    await afterNextRead(emulator, profile.id, { contact_details: { email: 'other@example.com' } })
    await assert.rejects(client.updateCollectedData(profile.id, { personal_details: { nationality: 'FRA' } }, { maxAttempts: 1 }), (error) => {
      assert.ok(error instanceof passfort.UpdateConflictError && error instanceof passfort.ConflictError, String(error))
      assert.deepEqual([error.code, error.status, error.attempts, error.profileId, error.mayHaveReachedServer], ['update_conflict', 412, 1, profile.id, false])
      return true
    })
    await assert.rejects(client.updateCollectedData(profile.id, [{ op: 'test', path: '/personal_details/name/family_name', value: 'Jones' }]), (error) => {
      assert.ok(error instanceof passfort.PatchFailedError, String(error))
      assert.deepEqual([error.code, error.index, error.op, error.path, error.testFailed], ['patch_failed', 0, 'test', '/personal_details/name/family_name', true])
      return true
    })
    assert.deepEqual(collectedWrites(emulator), [412], 'neither wrote the change')
  }))

test('a lost collected-data write is read back, not doubled', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    emulator.fault({ method: 'POST', path: `/4.0/profiles/${profile.id}/collected_data`, action: 'drop_after_commit' })
    const updated = await client.updateCollectedData(profile.id, [{ op: 'add', path: '/personal_details/name/given_names/-', value: 'Grace' }])
    assert.equal(updated.attempts, 1)
    assert.equal(collectedWrites(emulator).length, 1, 'not resent')
    assert.deepEqual((await client.collectedData.get(profile.id)).personal_details.name.given_names, ['Ada', 'Grace'])
  }))

test('bad changes are refused before any request', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const before = emulator.requests().length
    const refusals = [
      () => client.updateCollectedData(profile.id, 'text'),
      () => client.updateCollectedData(profile.id, undefined),
      () => client.updateCollectedData(profile.id, [{ op: 'jump', path: '/a' }]),
      () => client.updateCollectedData(profile.id, [{ op: 'add', path: 'no-slash', value: 1 }]),
      () => client.updateCollectedData(profile.id, { a: Number.NaN }),
      () => client.updateCollectedData(profile.id, {}, { maxAttempts: 0 }),
      () => client.updateCollectedData(profile.id, {}, { maxAttempts: 1.5 }),
      () => client.updateCollectedData('not an id!', {}),
    ]
    for (const refuse of refusals) await assert.rejects(refuse(), TypeError)
    assert.equal(emulator.requests().length, before)
  }))

test('lost answers on an upload and an application create are ambiguous, never doubled', () =>
  withClient(async (client, emulator) => {
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    emulator.fault({ method: 'POST', path: '/4.0/profiles/*/document_images', action: 'drop_after_commit' })
    await assert.rejects(client.runDocumentCheck(profile.id, { image: PNG, imageType: 'FRONT', documentType: 'PASSPORT' }), (error) => {
      assert.ok(error instanceof passfort.AmbiguousCreationError, String(error))
      assert.equal(error.profileId, profile.id)
      assert.ok(error.lookFor)
      return true
    })
    assert.equal(requestsTo(emulator, 'POST', '/document_images').length, 1)
    assert.equal((await client.documents.listImages(profile.id)).length, 1)
    assert.deepEqual(emulator.checks(), [])

    emulator.fault({ method: 'POST', path: '/4.0/profiles/*/applications', action: 'drop_after_commit' })
    await assert.rejects(client.applications.create(profile.id, { product: { alias: 'individual-account' } }), (error) => {
      assert.ok(error instanceof passfort.AmbiguousCreationError, String(error))
      assert.equal(error.operation, 'create_application')
      return true
    })
    assert.equal(requestsTo(emulator, 'POST', '/applications').length, 1)
    assert.equal((await client.applications.list(profile.id)).length, 1)
  }))

test('a sync run meeting the gateway timeout is one check, resolved', () =>
  withClient(async (client, emulator) => {
    const answer = await fetch(`${emulator.url}/_emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ gateway_timeout_ms: 300, provider_latency_ms: 1000, sync_timeout_ms: 5000 }),
    })
    assert.ok(answer.ok)
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
    const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'sync', waitTimeoutMs: 30000 })
    assert.equal(check.state, 'COMPLETE')
    assert.deepEqual(requestsTo(emulator, 'POST', '/checks').map((r) => r.status), [504])
    assert.deepEqual(emulator.checks().map((c) => c.id), [check.id])
  }))
