'use strict'
// Every operation through the generated namespaces (tests/scenarios/operations.json, shared with
// Python); per-call options, response metadata, raw requests, refusals before any request, and
// AbortSignal cancellation.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const passfort = require('passfort')
const { OPERATIONS } = require(path.join(path.dirname(require.resolve('passfort')), 'operations.js'))
const { startEmulator, person, requestsTo, heldRequests, until } = require('./helpers.js')

const { PassFort } = passfort
const SCENARIOS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios', 'operations.json'), 'utf8'))
const STEPS = SCENARIOS.steps
const API_KEY = 'sk_node_test_7c2e41'

function lookup(value, dotted) {
  for (const part of dotted.split('.')) value = value[part]
  return value
}

function resolve(value, saved) {
  if (typeof value === 'string' && value.startsWith('$')) {
    const [name, ...rest] = value.slice(1).split('.')
    return rest.length ? lookup(saved[name], rest.join('.')) : saved[name]
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, saved))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, saved)]))
  return value
}

/** The namespace, method and arguments of a step: path values in order, the body if any, the options. */
function argumentsOf(step, saved) {
  const [namespace, method, pathParams, bodyRule] = OPERATIONS[step.operation]
  const given = resolve(step.path, saved)
  assert.deepEqual(Object.keys(given).sort(), [...pathParams].sort(), step.operation)
  const args = pathParams.map((name) => given[name])
  if (bodyRule !== 'none') args.push(step.body === undefined ? undefined : resolve(step.body, saved))
  args.push({ query: resolve(step.query ?? {}, saved) })
  return { namespace, method, args }
}

function check(step, response, saved) {
  const { expect, operation } = step
  const body = response.body
  assert.equal(response.status, expect.status, operation)
  assert.ok(response.requestId, `${operation}: the emulator stamps a request id`)
  for (const key of expect.keys ?? []) assert.ok(key in body, `${operation}: no ${key}`)
  for (const [dotted, value] of Object.entries(expect.equals ?? {})) assert.deepEqual(lookup(body, dotted), resolve(value, saved), `${operation}: ${dotted}`)
  if ('length' in expect) assert.equal(body.length, expect.length, operation)
  if ('min_length' in expect) assert.ok(body.length >= expect.min_length, operation)
  if ('body' in expect) assert.deepEqual(body, expect.body, operation)
  if (expect.etag) assert.ok(response.etag, `${operation}: an Etag`)
  assert.ok(Buffer.isBuffer(response.raw))
  assert.deepEqual(JSON.parse(response.raw.toString('utf8')), body, operation)
}

async function withClient(run, emulatorOptions) {
  const emulator = await startEmulator(emulatorOptions)
  const client = new PassFort({ apiKey: API_KEY, baseUrl: emulator.baseUrl })
  try {
    await run(client, emulator)
  } finally {
    await client.close()
    await emulator.close()
  }
}

test('the scenarios cover every operation', () => {
  assert.deepEqual(new Set(STEPS.map((step) => step.operation)), new Set(Object.keys(OPERATIONS)))
  assert.equal(Object.keys(OPERATIONS).length, 48)
})

test('every operation through withRawResponse', () =>
  withClient(async (client) => {
    const saved = {}
    for (const step of STEPS) {
      const { namespace, method, args } = argumentsOf(step, saved)
      const response = await client.withRawResponse[namespace][method](...args)
      check(step, response, saved)
      if (step.save) saved[step.save] = response.body
    }
  }))

test('every operation through the namespaces, answering the body', () =>
  withClient(async (client) => {
    const saved = {}
    for (const step of STEPS) {
      const { namespace, method, args } = argumentsOf(step, saved)
      const body = await client[namespace][method](...args)
      if (step.save) saved[step.save] = body
      for (const key of step.expect.keys ?? []) assert.ok(key in body, step.operation)
      for (const [dotted, value] of Object.entries(step.expect.equals ?? {})) assert.deepEqual(lookup(body, dotted), resolve(value, saved))
    }
  }))

test('the namespaces are the Python ones in camelCase', () => {
  const client = new PassFort({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9/4.0' })
  const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  try {
    for (const [name, [namespace, method]] of Object.entries(OPERATIONS)) {
      assert.equal(typeof client[namespace][method], 'function', name)
      assert.equal(typeof client.withRawResponse[namespace][method], 'function', name)
      assert.ok(snake(namespace) && snake(method), name)
    }
    assert.equal(typeof client.whoami, 'function', 'the existing methods stay')
  } finally {
    client.close()
  }
})

test('per-call timeoutMs and maxRetries reach the request', () =>
  withClient(async (client, emulator) => {
    emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'delay', delayMs: 1000, times: 1 })
    const started = Date.now()
    await assert.rejects(client.account.whoami({ timeoutMs: 150, maxRetries: 0 }), passfort.APITimeoutError)
    assert.ok(Date.now() - started < 900, "the call's timeout, not the client's")
    assert.equal(requestsTo(emulator, 'GET', '/whoami').length, 1, 'maxRetries 0: no retry')

    emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'status', status: 503, times: 5 })
    await assert.rejects(client.account.whoami({ maxRetries: 1 }), passfort.ServerError)
    assert.equal(requestsTo(emulator, 'GET', '/whoami').length, 3, 'one more request and one retry')
  }))

test('withRawResponse metadata: request id, Etag, If-Match', () =>
  withClient(async (client) => {
    const profile = await client.profiles.create({ role: 'INDIVIDUAL_CUSTOMER', collected_data: person('Smith') })
    const read = await client.withRawResponse.collectedData.get(profile.id)
    assert.equal(read.status, 200)
    assert.ok(read.requestId && read.headers['x-request-id'] === read.requestId)
    assert.ok(read.etag && read.headers.etag === read.etag)
    const written = await client.withRawResponse.collectedData.update(profile.id, person('Jones'), { ifMatch: read.etag })
    assert.notEqual(written.etag, read.etag)
    await assert.rejects(client.collectedData.update(profile.id, person('Brown'), { ifMatch: read.etag }), (error) => error.status === 412)
  }))

test('a raw request', () =>
  withClient(async (client) => {
    const me = await client.request('GET', '/whoami')
    assert.equal(me.status, 200)
    assert.deepEqual(me.body, await client.account.whoami())
    const created = await client.request('POST', '/profiles', {
      body: { role: 'INDIVIDUAL_CUSTOMER', collected_data: person('Raw') },
      headers: { 'X-Trace': 't-1' },
    })
    const found = await client.request('GET', '/profiles', { query: { q: 'raw', limit: 5 } })
    assert.deepEqual(
      found.body.results.map((p) => p.id),
      [created.body.id],
    )
  }))

test('invalid arguments are refused before any request', () =>
  withClient(async (client, emulator) => {
    const before = emulator.requests().length
    const refusals = [
      () => client.profiles.get('not an id!'),
      () => client.profiles.get(42),
      () => client.profiles.list({ query: { limit: {} } }),
      () => client.account.whoami({ maxRetries: 99 }),
      () => client.account.whoami({ timeoutMs: 0 }),
      () => client.account.whoami({ headers: { apikey: 'other' } }),
      () => client.account.whoami('not options'),
      () => client.profiles.create({ x: NaN }),
      () => client.profiles.create(),
      () => client.request('GET', '/whoami', { query: { apikey: 'k' } }),
      () => client.request('GET', '/whoami', { body: { a: 1 } }),
    ]
    for (const refuse of refusals) await assert.rejects(refuse(), passfort.InvalidArgumentError)
    assert.equal(emulator.requests().length, before)
  }))

test('aborting the signal cancels a delayed call', () =>
  withClient(async (client, emulator) => {
    emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'delay', delayMs: 5000, times: 1 })
    const controller = new AbortController()
    const pending = client.account.whoami({ signal: controller.signal })
    await until(() => heldRequests(emulator) === 1, 'the delayed request')
    const started = Date.now()
    controller.abort()
    await assert.rejects(pending, passfort.AbortError)
    assert.ok(Date.now() - started < 1000)
    const raw = client.request('GET', '/whoami', { signal: AbortSignal.abort() })
    await assert.rejects(raw, passfort.AbortError)
    assert.ok('institution' in (await client.account.whoami()), 'the client still works')
  }))

test('typed results are plain objects keeping fields the types do not list', () =>
  withClient(async (client) => {
    const declarations = fs.readFileSync(path.join(path.dirname(require.resolve('passfort')), 'operations.d.ts'), 'utf8')
    const eventData = declarations.match(/export interface EventData \{([^}]*)\}/)
    assert.ok(eventData && !eventData[1].includes('x_custom'), 'EventData does not list x_custom')
    const profile = await client.profiles.create({ role: 'INDIVIDUAL_CUSTOMER', collected_data: person('Typed') })
    const event = await client.events.create(profile.id, { data: { event_type: 'ADVERSE_MEDIA_FLAG', x_custom: 'kept' } })
    assert.equal(Object.getPrototypeOf(event), Object.prototype)
    assert.equal(event.resolution, 'UNRESOLVED')
    assert.equal(event.data.x_custom, 'kept')
    const collected = await client.collectedData.update(profile.id, { ...person('Typed'), x_custom: 'kept' })
    assert.equal(collected.x_custom, 'kept')
  }))

test('query values: absent ones left out, lists repeated, integers as digits, the rest refused by the core', () =>
  withClient(async (client, emulator) => {
    await client.request('GET', '/whoami', { query: { page: [1, undefined, 2], limit: 5, offset: undefined, categories: null } })
    const [sent] = requestsTo(emulator, 'GET', '/whoami')
    assert.equal(sent.query, 'page=1&page=2&limit=5')
    for (const bad of [true, 1.5, {}, [[1]], () => 1, Symbol('s'), 10n]) {
      const error = await client.profiles.list({ query: { limit: bad } }).catch((e) => e)
      assert.ok(error instanceof passfort.InvalidArgumentError, `${String(typeof bad)}: ${error}`)
      assert.match(error.message, /limit/)
    }
  }))
