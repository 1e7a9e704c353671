'use strict'
// The README's flow examples run: every ```js block marked `<!-- readme-example: NAME -->` is run
// (as the body of an async function, with `require`) against the emulator through
// PASSFORT_API_KEY / PASSFORT_BASE_URL, and what it did is checked on the emulator's side.
// tests/python/test_readme.py runs the python blocks.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { API_KEY, startEmulator, requestsTo } = require('./helpers.js')

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8')
const MARKED = /<!-- readme-example: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```/g
const examples = (language) => [...README.matchAll(MARKED)].filter((m) => m[2] === language).map((m) => ({ name: m[1], code: m[3] }))
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor

test('every flow has a Node example', () => {
  assert.deepEqual(examples('js').map((e) => e.name), ['decide-application', 'document-check', 'update-collected-data', 'gateway-timeout'])
})

async function admin(emulator, method, route, body) {
  const answer = await fetch(`${emulator.url}/_emulator${route}`, { method, body: JSON.stringify(body) })
  assert.ok(answer.ok, `admin ${route}: ${answer.status}`)
}

for (const { name, code } of examples('js')) {
  test(`the ${name} example runs`, async () => {
    const emulator = await startEmulator()
    const saved = { key: process.env.PASSFORT_API_KEY, url: process.env.PASSFORT_BASE_URL }
    try {
      if (name === 'gateway-timeout') await admin(emulator, 'PUT', '/config', { gateway_timeout_ms: 300, provider_latency_ms: 1000, sync_timeout_ms: 5000 })
      process.env.PASSFORT_API_KEY = API_KEY
      process.env.PASSFORT_BASE_URL = emulator.baseUrl
      const printed = []
      const quiet = { log: (...args) => printed.push(args) }
      await new AsyncFunction('require', 'console', code)(require, quiet)
      assert.ok(printed.length > 0 || name === 'gateway-timeout', 'the example prints what it shows')
      if (name === 'decide-application') {
        assert.equal(emulator.requests().filter((r) => r.method === 'POST' && r.path.includes('/applications/')).length, 1, 'one status write')
      }
      if (name === 'document-check') {
        assert.equal(requestsTo(emulator, 'POST', '/document_images').length, 1)
        assert.deepEqual(emulator.checks().map((c) => c.check_type), ['DOCUMENT_VERIFICATION'])
      }
      if (name === 'update-collected-data') {
        assert.deepEqual(requestsTo(emulator, 'POST', '/collected_data').map((r) => r.status), [200, 200])
      }
      if (name === 'gateway-timeout') {
        assert.deepEqual(requestsTo(emulator, 'POST', '/checks').map((r) => r.status), [504], 'the gateway answered, once')
        assert.equal(emulator.checks().length, 1)
      }
    } finally {
      for (const [variable, value] of [['PASSFORT_API_KEY', saved.key], ['PASSFORT_BASE_URL', saved.url]]) {
        if (value === undefined) delete process.env[variable]
        else process.env[variable] = value
      }
      await emulator.close()
    }
  })
}
