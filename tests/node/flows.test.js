'use strict'

// The flows from Node: an application decision (blocked, approved, rejected),
// a document check end to end, and bad image input refused before any request.

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
