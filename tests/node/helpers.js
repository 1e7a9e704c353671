'use strict'
const { Emulator } = require('passfort/testing')

const API_KEY = 'sk_node_test_7c2e41'
const WEBHOOK_SECRET = 'whsec_node_test_93ab'

async function startEmulator(options = {}) {
  return Emulator.start({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, providerLatencyMs: 10, ...options })
}

function person(familyName = 'Smith') {
  return { entity_type: 'INDIVIDUAL', personal_details: { name: { given_names: ['Ada'], family_name: familyName } } }
}

function requestsTo(emulator, method, suffix) {
  return emulator.requests().filter((r) => r.method === method && r.path.endsWith(suffix))
}

/** How long a test waits for something it expects before failing, and how often it looks. */
const DEADLINE_MS = 10000
const POLL_MS = 10

/** Calls `probe` until it answers something truthy, which it resolves to; rejects after `timeoutMs`. */
async function until(probe, what, { timeoutMs = DEADLINE_MS } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** API requests that a `delay` fault is holding in the emulator now. */
function heldRequests(emulator) {
  return emulator.requests().filter((r) => r.fault === 'delay' && r.finished_ms === null).length
}

/**
 * Resolves once the emulator has had no API request in flight, and none begun or finished, for
 * `idleMs` (`GET /_emulator/quiesce`); rejects if that takes over `timeoutMs`. `idleMs` must be longer
 * than the gaps between the requests a test means to catch (a poll interval, say).
 */
async function quiesce(emulator, { idleMs, timeoutMs = DEADLINE_MS }) {
  const answer = await fetch(`${emulator.url}/_emulator/quiesce?idle_ms=${idleMs}&timeout_ms=${timeoutMs}`)
  const body = await answer.json()
  if (body.quiescent !== true) throw new Error(`the emulator never went quiet for ${idleMs} ms: ${JSON.stringify(body)}`)
  return body
}

module.exports = { API_KEY, WEBHOOK_SECRET, startEmulator, person, requestsTo, until, heldRequests, quiesce }
