'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

// Every call and error path, in a process with PASSFORT_LOG=debug; the child
// prints what a user could see (messages, inspections, URLs) for the parent to search.
const script = `
const util = require('node:util')
const passfort = require('passfort')
const { Emulator } = require('passfort/testing')
;(async () => {
  const emulator = await Emulator.start({ apiKey: 'sk_node_secret_key', webhookSecret: 'whsec_node_secret' })
  const client = emulator.client()
  const shown = [util.inspect(client, { depth: 5 })]
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {})
  const task = profile.tasks[0]
  await client.whoami()
  await client.getProfile(profile.id)
  for await (const _ of client.listProfiles()) {}
  const check = await client.runCheck(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'sync' })
  await client.getCheck(profile.id, check.id)
  await client.listChecks(profile.id)
  await client.waitForCheck(profile.id, check.id)
  await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' })
  await client.getTask(profile.id, task.id)
  await client.listTasks(profile.id)
  await client.completeTask(profile.id, task.id, 'COMPLETED_PASS')
  await client.verifyTask(profile.id, profile.tasks[1].id, { checkType: 'PEPS_AND_SANCTIONS_SCREEN' })
  const errors = []
  const wrong = new passfort.PassFort({ apiKey: 'sk_node_wrong_key', baseUrl: emulator.baseUrl })
  errors.push(await wrong.whoami().catch((e) => e))
  errors.push(await client.getCheck(profile.id, 'missing').catch((e) => e))
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'status', status: 503, times: 3 })
  errors.push(await client.whoami().catch((e) => e))
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'delay', delayMs: 500 })
  errors.push(await emulator.client({ timeoutMs: 100, maxRetries: 0 }).whoami().catch((e) => e))
  emulator.fault({ method: 'GET', path: '/4.0/whoami', action: 'drop_before', times: 3 })
  errors.push(await client.whoami().catch((e) => e))
  const forged = '{"id":"e","event":"CHECK_COMPLETED","secret":"whsec_node_forged","data":{}}'
  for (const secret of ['whsec_node_secret', 'whsec_node_forged']) {
    try { client.webhooks.handle(forged, { authorization: 'Bearer ' + secret }) } catch (e) { errors.push(e) }
  }
  const server = await client.webhooks.serve()
  const refused = await fetch(server.url, { method: 'POST', body: forged, headers: { authorization: 'Bearer whsec_node_forged' } })
  shown.push(String(refused.status), await refused.text())
  await server.close()
  for (const error of errors) shown.push(String(error), util.inspect(error), JSON.stringify(error))
  for (const request of emulator.requests()) shown.push(JSON.stringify(request))
  await emulator.close()
  console.log(JSON.stringify(shown))
})()`

test('secrets appear in no log line, message, inspection or URL', () => {
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, PASSFORT_LOG: 'debug' },
  })
  assert.equal(child.status, 0, child.stderr)
  assert.match(child.stderr, /passfort\.request/, 'debug logging was on')
  const shown = JSON.parse(child.stdout)
  assert.ok(shown.length > 20)
  for (const secret of ['sk_node_secret_key', 'whsec_node_secret', 'sk_node_wrong_key', 'whsec_node_forged']) {
    assert.ok(!child.stderr.includes(secret), `${secret} in the logs`)
    for (const text of shown) assert.ok(!text.includes(secret), `${secret} in ${text}`)
  }
})
