'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const passfort = require('passfort')
const { startEmulator, person, requestsTo } = require('./helpers.js')

const MISSING = '00000000-0000-0000-0000-000000000000'

test('the hierarchy supports instanceof', () => {
  const { PassFortError, APIError, APIConnectionError } = passfort
  for (const name of ['AuthenticationError', 'NotFoundError', 'RateLimitError', 'ServerError', 'BadRequestError', 'ConflictError']) {
    assert.ok(new passfort[name]('x') instanceof APIError, name)
  }
  assert.ok(new APIError('x') instanceof PassFortError)
  assert.ok(new passfort.APITimeoutError('x') instanceof APIConnectionError)
  for (const name of ['APIConnectionError', 'CheckWaitTimeoutError', 'WebhookVerificationError', 'AmbiguousCheckError']) {
    assert.ok(new passfort[name]('x') instanceof PassFortError && !(new passfort[name]('x') instanceof APIError), name)
  }
  assert.equal(new passfort.AbortError().name, 'AbortError')
})

test('API errors arrive as their classes with their fields', async () => {
  const emulator = await startEmulator()
  const wrongKey = new passfort.PassFort({ apiKey: 'sk_wrong_5555', baseUrl: emulator.baseUrl })
  await assert.rejects(wrongKey.whoami(), (error) => {
    assert.ok(error instanceof passfort.AuthenticationError)
    assert.equal(error.status, 401)
    assert.equal(error.errors[0].code, 204)
    assert.ok(error.requestId)
    assert.ok(!error.message.includes('sk_wrong_5555') && !String(error.stack).includes('sk_wrong_5555'))
    return true
  })
  const client = emulator.client()
  await assert.rejects(client.getProfile(MISSING), passfort.NotFoundError)
  await assert.rejects(client.createProfile('SUPPLIER', {}), (error) => error instanceof passfort.BadRequestError && error.errors[0].codeName === 'INVALID_INPUT_DATA')
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'status', status: 429, times: 3, headers: { 'Retry-After': '0' } })
  await assert.rejects(client.whoami(), (error) => error instanceof passfort.RateLimitError && error.retryAfterMs === 0)
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'status', status: 503, times: 3 })
  await assert.rejects(client.whoami(), (error) => error instanceof passfort.ServerError && error.status === 503)
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'status', status: 409 })
  await assert.rejects(client.whoami(), passfort.ConflictError)
  await emulator.close()
})

test('connection errors and timeouts', async () => {
  const emulator = await startEmulator()
  const slow = emulator.client({ timeoutMs: 200, maxRetries: 0 })
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'delay', delayMs: 1000 })
  await assert.rejects(slow.whoami(), (error) => error instanceof passfort.APITimeoutError && error.mayHaveReachedServer)
  await emulator.close()

  const server = net.createServer().listen(0)
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  const closed = new passfort.PassFort({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/4.0`, maxRetries: 0 })
  await assert.rejects(closed.whoami(), (error) => error instanceof passfort.APIConnectionError && /refused/i.test(error.message) && !error.mayHaveReachedServer)
})

test('a wait past its deadline names the check', async () => {
  const emulator = await startEmulator({ providerLatencyMs: 30000 })
  const client = emulator.client()
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
  await assert.rejects(client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async' }, { waitTimeoutMs: 300 }), (error) => {
    assert.ok(error instanceof passfort.CheckWaitTimeoutError)
    assert.equal(error.profileId, profile.id)
    assert.equal(error.checkId, emulator.checks()[0].id)
    assert.ok(['PENDING', 'RUNNING'].includes(error.lastState))
    return true
  })
  await emulator.close()
})

test('bad arguments are TypeErrors before any request', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  await assert.rejects(client.completeTask('p', 't', 'INCOMPLETE'), TypeError)
  await assert.rejects(client.runCheck('p', { checkType: 'IDENTITY_CHECK', mode: 'later' }), TypeError)
  await assert.rejects(client.runCheck('p', { checkType: 'IDENTITY_CHECK', variantAlias: 'a', variantId: 'b' }), TypeError)
  await assert.rejects(client.getProfile('../whoami'), TypeError)
  await assert.rejects(client.waitForCheck('p', 'c', { waitTimeoutMs: -1 }), TypeError)
  assert.deepEqual(emulator.requests(), [])
  assert.throws(() => new passfort.PassFort({ apiKey: '', baseUrl: emulator.baseUrl }), passfort.ConfigurationError)
  await emulator.close()
})

test('a 200 that is not JSON is a ResponseDecodeError', async () => {
  const http = require('node:http')
  const server = http.createServer((_, response) => response.end('<html>not json</html>')).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const client = new passfort.PassFort({ apiKey: 'k', baseUrl: `http://127.0.0.1:${server.address().port}/4.0`, maxRetries: 0 })
  // Bodies may carry personal data: their content is shown only on request.
  await assert.rejects(client.whoami(), (error) => error instanceof passfort.ResponseDecodeError && error.bodySnippet === null && error.message.includes('not valid JSON'))
  const debugging = new passfort.PassFort({ apiKey: 'k', baseUrl: `http://127.0.0.1:${server.address().port}/4.0`, maxRetries: 0, includeBodySnippets: true })
  await assert.rejects(debugging.whoami(), (error) => error.bodySnippet === '<html>not json</html>')
  await new Promise((resolve) => server.close(resolve))
})

test('secrets stay out of errors and inspection', async () => {
  const util = require('node:util')
  const emulator = await startEmulator()
  const client = emulator.client({ webhookSecret: 'whsec_inspect_test_1' })
  const wrong = new passfort.PassFort({ apiKey: 'sk_inspect_wrong', baseUrl: emulator.baseUrl })
  const errors = [
    await wrong.whoami().catch((e) => e),
    (() => { try { client.webhooks.handle('{"id":"e","event":"X","secret":"whsec_other"}', { authorization: 'Bearer whsec_inspect_test_1' }) } catch (e) { return e } })(),
    (() => { try { client.webhooks.handle(Buffer.alloc(6 * 1024 * 1024, 32), { authorization: 'Bearer whsec_inspect_test_1' }) } catch (e) { return e } })(),
  ]
  assert.equal(errors[2].reason, 'too_large', 'an oversized body is refused unread')
  const shown = [util.inspect(client, { depth: 5 }), util.inspect(wrong, { depth: 5 }), ...errors.flatMap((e) => [String(e), util.inspect(e), JSON.stringify(e)])]
  for (const secret of [emulator.apiKey, 'whsec_inspect_test_1', 'sk_inspect_wrong', 'whsec_other']) {
    for (const text of shown) assert.ok(!text.includes(secret), `${secret} in ${text}`)
  }
  await emulator.close()
})

test('personal data in a garbled answer stays out of errors and inspection', async () => {
  const util = require('node:util')
  const http = require('node:http')
  const body = '{"id":"p1","role":7,"collected_data":{"personal_details":{"name":"Zebediah Quorvath-Sentinel"}}}'
  const server = http.createServer((_, response) => response.end(body)).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const client = new passfort.PassFort({ apiKey: 'k', baseUrl: `http://127.0.0.1:${server.address().port}/4.0`, maxRetries: 0 })
  const error = await client.getProfile('p1').catch((e) => e)
  assert.ok(error instanceof passfort.ResponseDecodeError, String(error))
  for (const shown of [error.message, util.inspect(error), JSON.stringify(error)]) assert.ok(!shown.includes('Zebediah'), shown)
  await new Promise((resolve) => server.close(resolve))
})

test('close() releases the sockets now, not when the client is collected', async () => {
  const fs = require('node:fs')
  const openSockets = () => fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:') } catch { return false } }).length
  const emulator = await startEmulator()
  const before = openSockets()
  const clients = Array.from({ length: 50 }, () => emulator.client())
  await Promise.all(clients.map((client) => client.whoami()))
  assert.ok(openSockets() >= before + 50, 'each client holds a pooled connection')
  await Promise.all(clients.map((client) => client.close()))
  const deadline = Date.now() + 10000
  while (openSockets() > before + 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(openSockets() <= before + 5, `sockets after close: ${openSockets()} (before: ${before})`)
  await assert.rejects(clients[0].whoami(), passfort.ClientClosedError)
  await emulator.close()
})

test('collected data is converted as JSON.stringify does, or refused before any request', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  // (a Date at the top level: the schema allows extra fields there, not a timestamp as `dob`)
  const data = { entity_type: 'INDIVIDUAL', reviewed_at: new Date(Date.UTC(1990, 0, 1)), custom: { toJSON: () => 'custom' } }
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', data)
  assert.equal(profile.collectedData.reviewed_at, '1990-01-01T00:00:00.000Z', 'a Date becomes its ISO string, not {}')
  assert.equal(profile.collectedData.custom, 'custom', 'toJSON is honoured')
  const before = emulator.requests().length
  for (const bad of [{ scan: Buffer.from('image') }, { scan: new Uint8Array(3) }, { n: NaN }, { n: Infinity }, { n: 10n }]) {
    await assert.rejects(client.createProfile('INDIVIDUAL_CUSTOMER', bad), passfort.InvalidArgumentError)
  }
  const cycle = {}
  cycle.self = cycle
  await assert.rejects(client.createProfile('INDIVIDUAL_CUSTOMER', cycle), passfort.InvalidArgumentError)
  assert.equal(emulator.requests().length, before, 'nothing was sent')
  await emulator.close()
})

test('connection errors carry the underlying failure as cause, with Node error codes', async () => {
  const probe = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  const port = probe.address().port
  await new Promise((resolve) => probe.close(resolve))
  const client = new passfort.PassFort({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/4.0`, maxRetries: 0 })
  const error = await client.whoami().catch((e) => e)
  assert.ok(error instanceof passfort.APIConnectionError, String(error))
  assert.equal(error.code, 'connection')
  assert.equal(error.cause?.code, 'ECONNREFUSED')
})
