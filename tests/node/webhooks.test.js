'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const passfort = require('passfort')
const { WEBHOOK_SECRET, startEmulator, person, until } = require('./helpers.js')

function envelope(id, checkId, secret = WEBHOOK_SECRET) {
  return {
    id,
    event: 'CHECK_COMPLETED',
    secret,
    timestamp: Math.floor(Date.now() / 1000),
    data: { profile_id: 'p1', customer_ref: 'cust-1', check: { id: checkId, check_type: 'IDENTITY_CHECK', result: '2+2', decision: 'PASS' } },
  }
}

const bearer = (secret = WEBHOOK_SECRET) => ({ authorization: `Bearer ${secret}`, 'content-type': 'application/json' })

test('handle verifies, dedupes and passes unknown events through', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  const batch = Buffer.from(JSON.stringify([envelope('e1', 'c1'), { id: 'e2', event: 'PRODUCT_STATUS_CHANGED', secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000), data: { x: 1 } }]))
  const events = client.webhooks.handle(batch, bearer())
  assert.deepEqual(events.map((e) => e.event), ['CHECK_COMPLETED', 'PRODUCT_STATUS_CHANGED'])
  assert.deepEqual([events[0].checkId, events[0].profileId, events[0].customerRef, events[0].result], ['c1', 'p1', 'cust-1', '2+2'])
  assert.deepEqual([events[0].checkType, events[0].decision, events[0].taskId], ['IDENTITY_CHECK', 'PASS', undefined])
  assert.deepEqual(events[1].data, { x: 1 })
  assert.deepEqual(client.webhooks.handle(batch.toString(), new Map(Object.entries(bearer()))), [], 'duplicates are dropped')
  for (const [headers, body] of [[bearer('whsec_wrong'), envelope('e3', 'c3')], [bearer(), envelope('e4', 'c4', 'whsec_wrong')], [{}, envelope('e5', 'c5')]]) {
    assert.throws(() => client.webhooks.handle(JSON.stringify(body), headers), (error) => {
      assert.ok(error instanceof passfort.WebhookVerificationError)
      assert.equal(error.reason, 'unauthorized')
      assert.ok(!error.message.includes(WEBHOOK_SECRET) && !error.message.includes('whsec_wrong'))
      return true
    })
  }
  assert.throws(() => client.webhooks.handle('{', bearer()), (error) => error.reason === 'malformed')
  assert.throws(() => client.webhooks.handle({ parsed: 'json' }, bearer()), TypeError, 'a parsed body is refused')
  await emulator.close()
})

test('verifyWebhook alone', () => {
  const events = passfort.verifyWebhook(JSON.stringify(envelope('e6', 'c6')), bearer(), WEBHOOK_SECRET)
  assert.equal(events[0].id, 'e6')
})

test('the listener answers as documented and resolves a switched sync run', async () => {
  const emulator = await startEmulator({ syncTimeoutMs: 300 })
  const client = emulator.client()
  const server = await client.webhooks.serve({ host: '127.0.0.1', port: 0 })
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/passfort\/webhooks$/)
    const post = (body, headers) => fetch(server.url, { method: 'POST', body, headers }).then((r) => r.status)
    assert.equal(await post(JSON.stringify(envelope('e7', 'c7')), bearer()), 200)
    assert.equal(await post(JSON.stringify(envelope('e8', 'c8')), bearer('whsec_wrong')), 401)
    assert.equal(await post('{', bearer()), 400)

    emulator.setWebhook(server.url)
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person('Slow'))
    const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' }, { waitTimeoutMs: 20000 })
    assert.equal(check.state, 'COMPLETE')
    // The emulator logs a delivery once it has the listener's answer, which may come after the wait has resolved.
    await until(() => emulator.webhookDeliveries().some((d) => d.status === 200 && d.events[0] === 'CHECK_COMPLETED'), 'the delivery answered 200')
  } finally {
    await server.close()
    await emulator.close()
  }
})

async function verify(emulator, results, options = {}) {
  const client = emulator.client()
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
  emulator.script(profile.id, 'IDENTITY_CHECK', results)
  return client.verifyTask(profile.id, profile.tasks[0].id, { checkType: 'IDENTITY_CHECK', ...options })
}


test('verify, then acknowledge', async () => {
  const emulator = await startEmulator()
  const { webhooks } = emulator.client()
  const body = JSON.stringify(envelope('e-ack', 'c-ack'))
  assert.deepEqual(webhooks.handle(body, bearer(), { acknowledge: false }).map((e) => e.id), ['e-ack'])
  assert.deepEqual(webhooks.handle(body, bearer(), { acknowledge: false }).map((e) => e.id), ['e-ack'], 'redelivered until acknowledged')
  webhooks.acknowledge(['e-ack'])
  assert.deepEqual(webhooks.handle(body, bearer()), [])
  await emulator.close()
})
