'use strict'
// The shared hostile-server table (tests/scenarios/hostile-servers.json): a raw
// TCP responder serves one canned answer to every connection; each call ends
// with the error named, without waiting out absurd waits, without the planted
// name in its message, and without touching the other host.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const util = require('node:util')
const { PassFort } = require('passfort')

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios', 'hostile-servers.json'), 'utf8'))

async function rawServer(answer) {
  const server = { connections: 0 }
  server.tcp = net.createServer((socket) => {
    server.connections += 1
    socket.once('data', () => socket.end(answer))
    socket.on('error', () => {})
  })
  await new Promise((resolve) => server.tcp.listen(0, '127.0.0.1', resolve))
  server.baseUrl = `http://127.0.0.1:${server.tcp.address().port}/4.0`
  return server
}

function canned(status, headers, body) {
  const lines = [`HTTP/1.1 ${status}`, `content-length: ${Buffer.byteLength(body)}`, 'connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return lines.join('\r\n') + '\r\n\r\n' + body
}

async function call(client, name) {
  switch (name) {
    case 'get_check':
      return client.getCheck('p1', 'c1')
    case 'get_profile':
      return client.getProfile('p1')
    case 'create_profile':
      return client.createProfile('INDIVIDUAL_CUSTOMER', { name: table.sentinel })
    case 'run_checks': {
      const [item] = await client.runChecks([{ profileId: 'p1', checkType: 'IDENTITY_CHECK' }])
      assert.equal(item.ok, false)
      throw item.error
    }
  }
  throw new Error(`no such call in the table: ${name}`)
}

for (const row of table.rows) {
  test(`hostile server: ${row.name}`, async () => {
    const elsewhere = await rawServer(canned('200 OK', {}, '{}'))
    const headers = Object.fromEntries(Object.entries(row.headers).map(([name, value]) => [name, value.replace('{elsewhere}', elsewhere.baseUrl)]))
    const server = await rawServer(canned(row.status, headers, row.body))
    try {
      const client = new PassFort({ apiKey: 'k', baseUrl: server.baseUrl, maxRetries: 2 })
      const error = await call(client, row.call).then(() => assert.fail('expected an error'), (e) => e)
      assert.equal(error.code, row.error, String(error))
      if (row.absent) for (const shown of [error.message, util.inspect(error), JSON.stringify(error)]) assert.ok(!shown.includes(row.absent), shown)
      assert.equal(elsewhere.connections, 0)
      await client.close()
    } finally {
      elsewhere.tcp.close()
      server.tcp.close()
    }
  })
}
