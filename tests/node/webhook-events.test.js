'use strict'
// Typed webhook events (tests/scenarios/webhook-events.json, shared with Rust and Python): every
// event type the emulator sends arrives once, typed, while runCheckAndWait waiters wait; decoding
// of the types the emulator never sends, of unknown fields and values, and pass-through.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const fs = require('node:fs')
const { WEBHOOK_SECRET, startEmulator, until } = require('./helpers.js')

const SCENARIO = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios', 'webhook-events.json'), 'utf8'))

const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())

function lookup(value, dotted) {
  for (const part of dotted.split('.')) value = Array.isArray(value) ? value[Number(part)] : value?.[part]
  return value
}

function resolve(value, saved) {
  if (typeof value === 'string' && value.startsWith('$')) {
    const [name, ...rest] = value.slice(1).split('.')
    return rest.length ? lookup(saved[name], rest.join('.')) : saved[name]
  }
  if (typeof value === 'string' && value.includes('$')) return value.replace(/\$[\w.]+/g, (token) => String(resolve(token, saved)))
  if (Array.isArray(value)) return value.map((item) => resolve(item, saved))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, saved)]))
  return value
}

/** A typed field by the scenario's snake_case path, read camelCase as Node shows it. */
const field = (event, dotted) => lookup(event, dotted.split('.').map(camel).join('.'))

const hasFields = (event, fields = {}, saved = {}) =>
  Object.entries(fields).every(([dotted, want]) => {
    try {
      assert.deepEqual(field(event, dotted), resolve(want, saved))
      return true
    } catch {
      return false
    }
  })

const envelope = (id, event, data) => ({ id, event, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000), data })
const bearer = { authorization: `Bearer ${WEBHOOK_SECRET}` }

test('each decode case comes typed, its data whole', async () => {
  const emulator = await startEmulator()
  const client = emulator.client()
  try {
    SCENARIO.decode.forEach((c, index) => {
      const [event] = client.webhooks.handle(JSON.stringify([envelope(`evt-${index}`, c.event, c.data)]), bearer)
      assert.equal(event.known, c.class !== 'Unknown', `case ${index}`)
      assert.deepEqual([event.id, event.event, event.data], [`evt-${index}`, c.event, c.data])
      assert.ok(hasFields(event, c.fields), `case ${index}: ${JSON.stringify(event)}`)
      for (const [name, length] of Object.entries(c.lengths ?? {})) assert.equal(event[camel(name)].length, length)
    })
  } finally {
    await client.close()
    await emulator.close()
  }
})

/** The application's webhook endpoint: each delivery goes to client.webhooks.handle(). */
async function receiver(client) {
  const events = []
  const server = http.createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      try {
        events.push(...client.webhooks.handle(Buffer.concat(chunks), request.headers))
        response.writeHead(200).end()
      } catch {
        response.writeHead(400).end()
      }
    })
  })
  await new Promise((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${server.address().port}/hooks`, events, server }
}

async function admin(emulator, method, adminPath, body) {
  const response = await fetch(`${emulator.url}/_emulator${adminPath}`, { method, body: JSON.stringify(body) })
  const text = await response.text()
  assert.ok(response.ok, `${adminPath}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}

test('every event the emulator sends arrives typed once while waiters wait', async () => {
  const emulator = await startEmulator()
  const client = emulator.client({ webhookSecret: WEBHOOK_SECRET })
  const receiving = await receiver(client)
  try {
    await admin(emulator, 'PUT', '/webhook', { ...SCENARIO.webhook, url: receiving.url, secret: WEBHOOK_SECRET })
    const { timeout_ms: waitTimeoutMs, poll_interval_ms: pollIntervalMs } = SCENARIO.wait
    const saved = {}
    let waiters = []
    for (const step of SCENARIO.steps) {
      if (step.start_waiters) {
        waiters = step.start_waiters.map((checkType) =>
          client.runCheckAndWait(saved.profile.id, { checkType, mode: 'async', waitTimeoutMs, pollIntervalMs }),
        )
      } else if (step.join_waiters) {
        const checks = await Promise.all(waiters)
        for (const check of checks) assert.equal(check.wait?.resolvedBy, 'webhook', check.id)
        saved.checks = checks.map((check) => check.id)
      } else if (step.call) {
        const options = 'body' in step ? { body: resolve(step.body, saved) } : {}
        const response = await client.request(step.call, resolve(step.path, saved), options)
        assert.ok(response.status >= 200 && response.status < 300, JSON.stringify(step))
        if (step.save) saved[step.save] = response.body
      } else {
        const answer = await admin(emulator, step.admin, resolve(step.path, saved), resolve(step.body, saved))
        if (step.save) saved[step.save] = answer
      }
    }

    const expect = SCENARIO.expect
    const countOf = (name) => receiving.events.filter((e) => e.event === name).length
    await until(() => Object.entries(expect).every(([name, rule]) => countOf(name) >= rule.count), 'every expected event')
    const delivered = await until(() => {
      const ids = new Set(emulator.webhookDeliveries().filter((d) => d.status === 200).flatMap((d) => d.event_ids))
      return receiving.events.every((e) => ids.has(e.id)) ? ids : null
    }, "the emulator's record of every delivery")

    const events = [...receiving.events]
    const ids = events.map((e) => e.id)
    assert.equal(new Set(ids).size, ids.length, 'each event arrives once')
    assert.deepEqual(new Set(ids), delivered)
    for (const event of events) {
      assert.equal(event.profileId, saved.profile.id)
      assert.ok(expect[event.event], `an unexpected ${event.event}`)
      assert.equal(event.known, expect[event.event].class !== 'Unknown')
    }
    for (const [name, rule] of Object.entries(expect)) {
      const ofName = events.filter((e) => e.event === name)
      assert.equal(ofName.length, rule.count, name)
      assert.ok(ofName.some((e) => hasFields(e, rule.fields, saved)), `no ${name} with ${JSON.stringify(rule.fields)}: ${JSON.stringify(ofName)}`)
    }
    const completed = new Set(events.filter((e) => e.known && e.event === 'CHECK_COMPLETED').map((e) => e.check.id))
    assert.deepEqual(completed, new Set(saved.checks))
  } finally {
    receiving.server.close()
    await client.close()
    await emulator.close()
  }
})
