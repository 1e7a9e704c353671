'use strict'
// PASSFORT_LOG: set, the SDK's tracing goes to stderr from that level up;
// unset, nothing is printed. Never a secret either way. Each case runs a
// fresh Node process: the subscriber is installed when the addon loads.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { API_KEY, WEBHOOK_SECRET } = require('./helpers.js')

const root = path.resolve(__dirname, '..', '..')

/** Runs a script in a fresh Node process with PASSFORT_LOG as given (undefined: unset). */
function runAlone(source, passfortLog) {
  const env = { ...process.env }
  delete env.PASSFORT_LOG
  if (passfortLog !== undefined) env.PASSFORT_LOG = passfortLog
  // The timeout is only a safety net against a hang.
  return spawnSync(process.execPath, ['-e', source], { cwd: root, encoding: 'utf8', timeout: 120000, env })
}

// A request that logs at DEBUG, a webhook handled, and a refused delivery to
// the built-in listener (logged at WARN).
const calls = `
  const passfort = require('passfort')
  const { Emulator } = require('passfort/testing')
  ;(async () => {
    const emulator = await Emulator.start({ apiKey: ${JSON.stringify(API_KEY)}, webhookSecret: ${JSON.stringify(WEBHOOK_SECRET)} })
    const client = emulator.client()
    const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {})
    try {
      await client.getCheck(profile.id, 'missing')
    } catch (error) {
      if (!(error instanceof passfort.NotFoundError)) throw error
    }
    const body = JSON.stringify({ id: 'e', event: 'X', secret: ${JSON.stringify(WEBHOOK_SECRET)} })
    try {
      client.webhooks.handle(body, { Authorization: 'Bearer ' + ${JSON.stringify(WEBHOOK_SECRET)} })
    } catch (error) {
      if (!(error instanceof passfort.WebhookVerificationError)) throw error
    }
    const server = await client.webhooks.serve()
    const refused = await fetch(server.url, { method: 'POST', body, headers: { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' } })
    console.log('refused', refused.status)
    await server.close()
    await client.close()
    await emulator.close()
    console.log('done')
  })().catch((error) => { console.log('failed', error); process.exitCode = 1 })
`

test('PASSFORT_LOG=debug prints the SDK logs on stderr, without secrets', () => {
  const child = runAlone(calls, 'debug')
  assert.equal(child.status, 0, child.stdout + child.stderr)
  assert.deepEqual(child.stdout.split(/\s+/).filter(Boolean), ['refused', '401', 'done'])
  const lines = child.stderr.split('\n')
  assert.ok(
    lines.some((line) => line.includes('DEBUG') && line.includes('passfort.request') && line.includes('/profiles/{profile_id}/checks/{check_id}')),
    child.stderr,
  )
  assert.ok(lines.some((line) => line.includes('WARN') && line.includes('webhook delivery refused')), child.stderr)
  assert.ok(!child.stderr.includes(API_KEY), 'no API key in the logs')
  assert.ok(!child.stderr.includes(WEBHOOK_SECRET), 'no webhook secret in the logs')
  assert.ok(!child.stderr.includes('\u001b['), 'no colours when stderr is not a terminal')
})

test('PASSFORT_LOG is case-insensitive and sets the level', () => {
  const child = runAlone(calls, 'Warning')
  assert.equal(child.status, 0, child.stdout + child.stderr)
  assert.match(child.stderr, /webhook delivery refused/)
  assert.doesNotMatch(child.stderr, /DEBUG/)
  assert.ok(!child.stderr.includes(WEBHOOK_SECRET) && !child.stderr.includes(API_KEY))
})

test('without PASSFORT_LOG nothing reaches stderr', () => {
  const child = runAlone(calls, undefined)
  assert.equal(child.status, 0, child.stdout + child.stderr)
  assert.deepEqual(child.stdout.split(/\s+/).filter(Boolean), ['refused', '401', 'done'])
  assert.equal(child.stderr, '')
})

test('a bad PASSFORT_LOG value is named once and ignored', () => {
  const child = runAlone("require('passfort')", 'loud')
  assert.equal(child.status, 0, child.stderr)
  assert.match(child.stderr, /PASSFORT_LOG="loud"/)
  assert.equal(child.stderr.trim().split('\n').length, 1, child.stderr)
})
