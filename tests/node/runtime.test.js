'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const path = require('node:path')
const passfort = require('passfort')
const { API_KEY, startEmulator, person, until, heldRequests, quiesce } = require('./helpers.js')

const root = path.resolve(__dirname, '..', '..')

/** Runs a script in a fresh Node process; it must exit by itself. */
function runAlone(source, env = {}) {
  const started = Date.now()
  // One that does not exit by itself is killed after 30 s: then its status is null, not 0.
  const child = spawnSync(process.execPath, ['-e', source], { cwd: root, encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } })
  return { ...child, elapsedMs: Date.now() - started }
}

test('the process exits by itself after close()', () => {
  const child = runAlone(`
    const { Emulator } = require('passfort/testing')
    ;(async () => {
      const emulator = await Emulator.start({ webhookSecret: 'whsec_exit_test_0001' })
      const client = emulator.client()
      await client.whoami()
      const server = await client.webhooks.serve()
      await client.close()
      await emulator.close()
      console.log('done')
    })()`)
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'done')
})

test('the process exits by itself after an aborted wait', () => {
  const child = runAlone(`
    const { Emulator } = require('passfort/testing')
    ;(async () => {
      const emulator = await Emulator.start({ providerLatencyMs: 60000 })
      const client = emulator.client()
      const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {})
      const controller = new AbortController()
      const waiting = client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async' }, { signal: controller.signal })
      // Aborted once the emulator has made the check: the call is under way.
      const deadline = Date.now() + 20000
      while (emulator.checks().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      controller.abort()
      try {
        await waiting
      } catch (error) {
        console.log(error.name)
      }
    })()`)
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'AbortError')
})

test('a pending wait with no close() keeps the process until it resolves, then exits', () => {
  const child = runAlone(`
    const { Emulator } = require('passfort/testing')
    ;(async () => {
      const emulator = await Emulator.start({ providerLatencyMs: 1500 })
      const client = emulator.client()
      const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {})
      const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async' }, { waitTimeoutMs: 20000 })
      console.log(check.state)
    })()`)
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'COMPLETE')
  assert.ok(child.elapsedMs >= 1500, `took ${child.elapsedMs} ms: it waited for the check`)
})

test('an aborted runCheckAndWait stops polling', async () => {
  const emulator = await startEmulator({ providerLatencyMs: 60000 })
  const client = emulator.client()
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', person())
  const check = await client.runCheck(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async' })
  const reads = () => emulator.requests().filter((r) => r.method === 'GET' && r.path.endsWith(check.id)).length
  const controller = new AbortController()
  const waiting = client.waitForCheck(profile.id, check.id, { pollIntervalMs: 50, signal: controller.signal })
  await until(() => reads() >= 4, 'a few reads')
  // Its next read is held in the emulator: aborted then, the wait has one request out, and the emulator has it.
  emulator.fault({ method: 'GET', path: `/4.0/profiles/${profile.id}/checks/${check.id}`, action: 'delay', delayMs: 500 })
  await until(() => heldRequests(emulator) === 1, 'the held read')
  controller.abort()
  await assert.rejects(waiting, (error) => error instanceof passfort.AbortError && error.name === 'AbortError')
  const atAbort = reads()
  // Quiet for ten poll intervals after the held read was answered: a wait still running would have read again.
  await quiesce(emulator, { idleMs: 500 })
  assert.equal(reads(), atAbort, 'no read after aborting')

  const already = new AbortController()
  already.abort()
  await assert.rejects(client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' }, { signal: already.signal }), passfort.AbortError)
  await emulator.close()
})

test('the package works in a worker thread', async () => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads')
     const { Emulator } = require('passfort/testing')
     ;(async () => {
       const emulator = await Emulator.start()
       const client = emulator.client()
       const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {})
       const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' })
       await emulator.close()
       parentPort.postMessage(check.state)
     })()`,
    { eval: true },
  )
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  assert.equal(message, 'COMPLETE')
  await worker.terminate()
})

test('PASSFORT_LOG=debug prints the core tracing without secrets', () => {
  const child = runAlone(
    `const { Emulator } = require('passfort/testing')
     ;(async () => {
       const emulator = await Emulator.start({ apiKey: '${API_KEY}' })
       const client = emulator.client({ webhookSecret: 'whsec_log_check_test' })
       await client.whoami()
       await client.getProfile('00000000-0000-0000-0000-000000000000').catch(() => {})
       for (const request of emulator.requests()) if (JSON.stringify(request).includes('${API_KEY}')) throw new Error('key in a URL')
       await emulator.close()
     })()`,
    { PASSFORT_LOG: 'debug' },
  )
  assert.equal(child.status, 0, child.stderr)
  assert.match(child.stderr, /passfort\.request/)
  assert.ok(!child.stderr.includes(API_KEY) && !child.stderr.includes('whsec_log_check_test'))
})
