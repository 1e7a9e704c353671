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
  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {
    entity_type: 'INDIVIDUAL',
    personal_details: { name: { given_names: ['Ada'], family_name: 'Quorvathsentinel' }, dob: '1990-01-01' },
  })
  const task = profile.tasks[0]
  await client.whoami()
  await client.getProfile(profile.id)
  for await (const _ of client.listProfiles()) {}
  for await (const _ of client.listProfiles({ query: 'Quorvathsentinel' })) {}
  const check = await client.runCheck(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'sync' })
  await client.getCheck(profile.id, check.id)
  await client.listChecks(profile.id)
  await client.waitForCheck(profile.id, check.id)
  await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK' })
  await client.getTask(profile.id, task.id)
  await client.listTasks(profile.id)
  await client.completeTask(profile.id, task.id, 'COMPLETED_PASS')
  await client.verifyTask(profile.id, profile.tasks[1].id, { checkType: 'PEPS_AND_SANCTIONS_SCREEN' })
  // A lost answer: reconciliation logs while it adopts the check.
  emulator.fault({ method: 'POST', path: '/4.0/profiles/*/checks', action: 'drop_after_commit', times: 1 })
  shown.push(util.inspect(await client.runCheck(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'sync' })))
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
  const urls = emulator.requests().map((request) => JSON.stringify(request))
  await emulator.close()
  console.log(JSON.stringify({ shown, urls }))
})()`

test('secrets appear in no log line, message, inspection or URL; a planted name in no log line or message', () => {
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, PASSFORT_LOG: 'debug' },
  })
  assert.equal(child.status, 0, child.stderr)
  assert.match(child.stderr, /passfort\.request/, 'debug logging was on')
  const { shown, urls } = JSON.parse(child.stdout)
  assert.ok(shown.length > 20)
  assert.match(child.stderr, /reconciling/, 'the reconciliation path ran')
  assert.ok(!child.stderr.includes('Quorvathsentinel'), 'a name in the logs')
  for (const text of [...shown, ...urls]) assert.ok(!text.includes('Quorvathsentinel'), `a name in ${text}`)
  for (const secret of ['sk_node_secret_key', 'whsec_node_secret', 'sk_node_wrong_key', 'whsec_node_forged']) {
    assert.ok(!child.stderr.includes(secret), `${secret} in the logs`)
    for (const text of [...shown, ...urls]) assert.ok(!text.includes(secret), `${secret} in ${text}`)
  }
})
