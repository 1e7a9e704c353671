'use strict'
// Proxies and corporate TLS through the Node package: `proxy`, the
// environment's HTTP_PROXY/HTTPS_PROXY/NO_PROXY, and `caBundle`.
//
// A small forward proxy (node:net) records the request that opens each
// connection, then tunnels a CONNECT or forwards an absolute-form request to
// the emulator. A TLS relay (node:tls) serves the emulator with a self-signed
// certificate made per run: node:crypto makes the key and signs, and the few
// DER structures of an X.509 certificate are written out below, so the test
// needs neither openssl nor an npm package. The environment is read when a
// client is built and is shared by the whole process, so each environment
// case runs in a child Node process.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const tls = require('node:tls')
const util = require('node:util')
const { PassFort, ConfigurationError, APIConnectionError } = require('passfort')
const { startEmulator, API_KEY } = require('./helpers.js')

const PASSWORD = 'pr0xy-pa55word'

// ---- a self-signed certificate for 127.0.0.1 and localhost, in DER by hand

function derLength(length) {
  if (length < 0x80) return Buffer.from([length])
  const bytes = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
const der = (tag, ...contents) => {
  const body = Buffer.concat(contents)
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body])
}
const sequence = (...contents) => der(0x30, ...contents)
function oid(dotted) {
  const [first, second, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * first + second]
  for (const arc of rest) {
    const encoded = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) encoded.unshift((value & 0x7f) | 0x80)
    bytes.push(...encoded)
  }
  return der(0x06, Buffer.from(bytes))
}
const utcTime = (date) => der(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'))

function selfSignedCertificate() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'))
  const name = sequence(der(0x31, sequence(oid('2.5.4.3'), der(0x0c, Buffer.from('localhost')))))
  const serial = crypto.randomBytes(8)
  serial[0] = (serial[0] & 0x7f) | 0x01 // positive, no leading zero
  const day = 24 * 3600 * 1000
  const subjectAltName = sequence(der(0x82, Buffer.from('localhost')), der(0x87, Buffer.from([127, 0, 0, 1])))
  const extensions = sequence(
    sequence(oid('2.5.29.17'), der(0x04, subjectAltName)),
    // basicConstraints, critical: not a CA.
    sequence(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, sequence())),
  )
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // version 3
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(Date.now() - day)), utcTime(new Date(Date.now() + 2 * day))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, extensions),
  )
  const signature = crypto.sign('sha256', tbs, privateKey) // DER-encoded ECDSA
  const certificate = sequence(tbs, ecdsaWithSha256, der(0x03, Buffer.from([0]), signature))
  const base64 = certificate.toString('base64').match(/.{1,64}/g).join('\n')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  }
}

// ---- the proxy and the TLS relay

function pipeBoth(a, b) {
  a.on('error', () => b.destroy())
  b.on('error', () => a.destroy())
  a.pipe(b)
  b.pipe(a)
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server.address().port
}

async function startProxy() {
  const proxy = { seen: [], sockets: new Set() }
  proxy.server = net.createServer((client) => {
    proxy.sockets.add(client)
    client.on('close', () => proxy.sockets.delete(client))
    client.on('error', () => {})
    let head = Buffer.alloc(0)
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      client.off('data', onData)
      client.pause()
      const rest = head.subarray(end + 4)
      const [requestLine, ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n')
      const authorization = headerLines.find((line) => /^proxy-authorization:/i.test(line))
      proxy.seen.push({ requestLine, proxyAuthorization: authorization?.split(':')[1].trim() })
      const [method, target, version] = requestLine.split(' ')
      if (method === 'CONNECT') {
        const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
        const upstream = net.connect(port, host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          upstream.write(rest)
          pipeBoth(client, upstream)
          client.resume()
        })
        proxy.sockets.add(upstream)
        return
      }
      const url = new URL(target)
      const upstream = net.connect(Number(url.port), url.hostname, () => {
        const kept = headerLines.filter((line) => !/^proxy-/i.test(line))
        upstream.write([`${method} ${url.pathname}${url.search} ${version}`, ...kept].join('\r\n') + '\r\n\r\n')
        upstream.write(rest)
        pipeBoth(client, upstream)
        client.resume()
      })
      proxy.sockets.add(upstream)
    }
    client.on('data', onData)
  })
  proxy.url = `http://127.0.0.1:${await listen(proxy.server)}`
  proxy.close = () => {
    for (const socket of proxy.sockets) socket.destroy()
    proxy.server.close()
  }
  return proxy
}

async function startTlsRelay({ cert, key }, upstreamPort) {
  const sockets = new Set()
  const server = tls.createServer({ cert, key, ALPNProtocols: ['http/1.1'] }, (secure) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1')
    sockets.add(secure).add(upstream)
    pipeBoth(secure, upstream)
  })
  // A client that refuses the certificate ends the handshake: not an error here.
  server.on('tlsClientError', () => {})
  const port = await listen(server)
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

// ---- fixtures

const certificate = selfSignedCertificate()
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'passfort-proxy-tls-'))
const bundle = path.join(directory, 'server.pem')
fs.writeFileSync(bundle, certificate.cert)
test.after(() => fs.rmSync(directory, { recursive: true, force: true }))

async function withServers(run) {
  const emulator = await startEmulator()
  const proxy = await startProxy()
  const relay = await startTlsRelay(certificate, Number(new URL(emulator.url).port))
  try {
    await run({ emulator, proxy, relay, httpsUrl: `https://127.0.0.1:${relay.port}/4.0` })
  } finally {
    proxy.close()
    relay.close()
    await emulator.close()
  }
}

test('the hand-made certificate is one Node reads', () => {
  const parsed = new crypto.X509Certificate(certificate.cert)
  assert.match(parsed.subjectAltName, /IP Address:127\.0\.0\.1/)
  assert.ok(parsed.checkIssued(parsed))
})

test('an explicit proxy carries the requests and hides its password', () =>
  withServers(async ({ emulator, proxy }) => {
    const withCredentials = proxy.url.replace('http://', `http://alice:${PASSWORD}@`)
    const client = new PassFort({ apiKey: API_KEY, baseUrl: emulator.baseUrl, proxy: withCredentials, maxRetries: 0 })
    await client.whoami()
    assert.deepEqual(proxy.seen, [
      { requestLine: `GET ${emulator.baseUrl}/whoami HTTP/1.1`, proxyAuthorization: 'Basic YWxpY2U6cHIweHktcGE1NXdvcmQ=' },
    ])
    assert.ok(!util.inspect(client).includes(PASSWORD))

    const error = (() => {
      try {
        return new PassFort({ apiKey: 'k', proxy: `socks5://alice:${PASSWORD}@127.0.0.1:1080` })
      } catch (thrown) {
        return thrown
      }
    })()
    assert.ok(error instanceof ConfigurationError, String(error))
    assert.ok(!error.message.includes(PASSWORD) && !error.message.includes('alice'), error.message)
  }))

test('a self-signed server is refused until its CA bundle is given', () =>
  withServers(async ({ httpsUrl }) => {
    const refused = await new PassFort({ apiKey: API_KEY, baseUrl: httpsUrl, maxRetries: 0 }).whoami().then(
      () => assert.fail('expected a certificate error'),
      (error) => error,
    )
    assert.ok(refused instanceof APIConnectionError, String(refused))
    assert.match(refused.message, /certificate/i)

    await new PassFort({ apiKey: API_KEY, baseUrl: httpsUrl, caBundle: bundle, maxRetries: 0 }).whoami()

    assert.throws(() => new PassFort({ apiKey: 'k', caBundle: path.join(directory, 'no-such-bundle.pem') }), (error) => {
      return error instanceof ConfigurationError && error.message.includes('no-such-bundle.pem')
    })
  }))

// ---- the environment, in child processes

const CHILD = `
const { PassFort } = require(process.env.PASSFORT_MODULE)
new PassFort({ maxRetries: 0, caBundle: process.env.CA_BUNDLE, proxy: process.env.EXPLICIT_PROXY })
  .whoami()
  .then(() => console.log('CHILD-OK'), (error) => { console.error(String(error)); process.exitCode = 1 })
`
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'REQUEST_METHOD']

/** Runs CHILD with exactly these proxy variables (the parent's own removed); asynchronously, so this process's servers answer. */
async function runChild(baseUrl, variables) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !PROXY_VARIABLES.includes(name.toUpperCase())))
  Object.assign(env, { PASSFORT_MODULE: require.resolve('passfort'), PASSFORT_BASE_URL: baseUrl, PASSFORT_API_KEY: API_KEY }, variables)
  try {
    const { stdout } = await util.promisify(execFile)(process.execPath, ['-e', CHILD], { env, timeout: 60000 })
    return { ok: stdout.includes('CHILD-OK'), output: stdout }
  } catch (error) {
    return { ok: false, output: `${error.stdout}${error.stderr}` }
  }
}

test('the environment proxy settings are honoured', () =>
  withServers(async ({ emulator, proxy, relay, httpsUrl }) => {
    let child = await runChild(emulator.baseUrl, { HTTP_PROXY: proxy.url })
    assert.ok(child.ok, child.output)
    assert.deepEqual(
      proxy.seen.map((seen) => seen.requestLine),
      [`GET ${emulator.baseUrl}/whoami HTTP/1.1`],
    )

    child = await runChild(httpsUrl, { HTTPS_PROXY: proxy.url, CA_BUNDLE: bundle })
    assert.ok(child.ok, child.output)
    assert.equal(proxy.seen.at(-1).requestLine, `CONNECT 127.0.0.1:${relay.port} HTTP/1.1`)

    for (const baseUrl of [emulator.baseUrl, httpsUrl]) {
      child = await runChild(baseUrl, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1', CA_BUNDLE: bundle })
      assert.ok(child.ok, child.output)
    }
    assert.equal(proxy.seen.length, 2, 'NO_PROXY was not honoured')

    // An explicit proxy replaces the environment's.
    child = await runChild(emulator.baseUrl, { HTTP_PROXY: 'http://127.0.0.1:9', EXPLICIT_PROXY: proxy.url })
    assert.ok(child.ok, child.output)
    assert.equal(proxy.seen.length, 3)
  }))
