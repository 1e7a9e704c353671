'use strict'
// A fleet of real processes (issue 16): a real redis-server on a free port,
// the emulator (in this process) sending its webhooks to a Node `cluster` of
// 2 workers running the Express recipe (examples/fleet/node/express.js), and
// a smoke test of the Fastify recipe. What happens in the workers is read from
// their JSON log lines and from the emulator's request log; the ledger from
// Redis itself (redis-cli).

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync, execFile } = require('node:child_process')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { promisify } = require('node:util')
const passfort = require('passfort')
const { API_KEY, WEBHOOK_SECRET, startEmulator, person, until } = require('./helpers.js')

const ROOT = path.join(__dirname, '..', '..')
const RECIPES = path.join(ROOT, 'examples', 'fleet', 'node')
const LEASE_MS = 1500
const DEADLINE_MS = 30000

/** redis-server, installed with apt-get when missing (as core/tests/fleet_support does); null when impossible. */
function redisServerBinary() {
  const find = () => {
    const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim()
    return found || null
  }
  if (find()) return find()
  process.stderr.write('redis-server not found: installing it with apt-get\n')
  spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  return find()
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** A redis-server without persistence on a free port; `stop` kills it (SIGKILL), `start` brings it back empty on the same port. */
class Redis {
  constructor(binary, port) {
    this.binary = binary
    this.port = port
    this.child = null
  }

  get url() {
    return `redis://127.0.0.1:${this.port}/0`
  }

  async start() {
    this.child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await until(() => this.cli('PING').then((answer) => answer === 'PONG', () => false), `redis-server on port ${this.port}`)
  }

  async stop() {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async cli(...args) {
    const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(this.port), '--raw', ...args], { timeout: 5000 })
    return stdout.trim()
  }

  /** The fleet's ledger: check id -> its hash (owner, tag, ...). */
  async ledger() {
    const keys = (await this.cli('KEYS', 'passfort:fleet:check:*')).split('\n').filter(Boolean)
    const entries = {}
    for (const key of keys) {
      const flat = (await this.cli('HGETALL', key)).split('\n')
      const hash = {}
      for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]] = flat[i + 1]
      entries[key.slice('passfort:fleet:check:'.length)] = hash
    }
    return entries
  }
}

/** A recipe under `cluster`, its JSON log lines collected as they come. */
class App {
  constructor(child, port) {
    this.child = child
    this.port = port
    this.lines = []
    this.output = ''
    let pending = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      pending += chunk
      const complete = pending.split('\n')
      pending = complete.pop()
      for (const line of complete) {
        try {
          this.lines.push(JSON.parse(line))
        } catch {
          this.output += `${line}\n`
        }
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => (this.output += chunk))
  }

  static async start(recipe, env) {
    const port = await freePort()
    const child = spawn(process.execPath, [path.join(RECIPES, recipe)], { cwd: ROOT, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const app = new App(child, port)
    const workers = Number(env.WORKERS)
    await until(() => app.where('fleetSubscribed').length === workers, `${workers} workers of ${recipe} listening and subscribed`, { timeoutMs: DEADLINE_MS })
    // Each worker's pid and fleet worker id.
    app.workers = new Map(app.where('fleetSubscribed').map((line) => [line.pid, line.fleetSubscribed]))
    return app
  }

  get webhookUrl() {
    return `http://127.0.0.1:${this.port}/passfort/webhooks`
  }

  where(field) {
    return this.lines.filter((line) => field in line)
  }

  /** POST on a connection of its own, so that the primary hands it to the next worker in turn. */
  post(pathname, body, headers = { 'content-type': 'application/json' }) {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: this.port, path: pathname, method: 'POST', agent: false, headers }, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        const json = /json/.test(response.headers['content-type'] ?? '')
        response.on('end', () => resolve({ status: response.statusCode, body: json ? JSON.parse(text) : text, at: Date.now() }))
      })
      request.on('error', reject)
      request.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body))
    })
  }

  async stop() {
    for (const pid of this.workers?.keys() ?? []) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve))
      this.child.kill('SIGKILL')
      await exited
    }
  }
}

function delivery(id, profileId, checkId) {
  const envelope = { id, event: 'CHECK_COMPLETED', secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000), data: { profile_id: profileId, check: { id: checkId, check_type: 'IDENTITY_CHECK', result: 'Pass' } } }
  return JSON.stringify(envelope)
}

const signed = { authorization: `Bearer ${WEBHOOK_SECRET}`, 'content-type': 'application/json' }

const readsOf = (emulator, checkId) => emulator.requests().filter((r) => r.method === 'GET' && r.path.endsWith(`/checks/${checkId}`)).length

/** For `until`: a list once it has something in it. */
const nonEmpty = (list) => list.length > 0 && list

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
}

async function setEmulatorConfig(emulator, config) {
  const answer = await fetch(`${emulator.url}/_emulator/config`, { method: 'PUT', body: JSON.stringify(config), headers: { 'content-type': 'application/json' } })
  assert.equal(answer.status, 200, await answer.text())
}

const binary = redisServerBinary()
const skip = binary ? false : 'redis-server is not installed and apt-get could not install it'

describe('the fleet binding, in this process', { skip }, () => {
  let redis, emulator
  before(async () => {
    redis = new Redis(binary, await freePort())
    await redis.start()
    emulator = await startEmulator({ providerLatencyMs: 50 })
  })
  after(async () => {
    await emulator?.close()
    await redis?.stop()
  })

  it('is off without a Redis URL: no worker id, handleAsync de-duplicates per process, recover refuses', { timeout: 90000 }, async () => {
    const alone = emulator.client()
    assert.equal(alone.inFleet, false)
    assert.equal(alone.workerId, null)
    assert.equal(alone.fleetSubscribed, false)
    const body = delivery('evt-alone', 'p', 'c')
    assert.deepEqual((await alone.webhooks.handleAsync(body, signed)).map((e) => e.id), ['evt-alone'])
    assert.deepEqual(await alone.webhooks.handleAsync(body, signed), [])
    await assert.rejects(alone.recover(), passfort.ConfigurationError)
    await assert.rejects(alone.webhooks.handleAsync(body, {}), (error) => error instanceof passfort.WebhookVerificationError && error.reason === 'unauthorized')
    await alone.close()
  })

  it('checks the options, and a Redis password appears in no error', () => {
    const password = 'hunter2-node-fleet-41'
    for (const redisUrl of [`http://:${password}@127.0.0.1:6379`, `redis://:${password}@`, `:${password}@127.0.0.1`]) {
      assert.throws(() => emulator.client({ redisUrl }), (error) => error instanceof passfort.ConfigurationError && !error.message.includes(password) && !String(error.stack).includes(password))
    }
    assert.throws(() => emulator.client({ redisUrl: redis.url, fleetLeaseMs: 10 }), (error) => error instanceof passfort.InvalidArgumentError && error.message.includes('fleetLeaseMs'))
    assert.throws(() => emulator.client({ rateBudgetPerHour: 0 }), (error) => error instanceof passfort.InvalidArgumentError && error.message.includes('rateBudgetPerHour'))
    const worker = emulator.client({ redisUrl: `redis://:${password}@127.0.0.1:${redis.port}/0` })
    assert.equal(worker.inFleet, true)
    assert.ok(!require('node:util').inspect(worker).includes(password))
    return worker.close()
  })

  it('an event comes back on every worker until one acknowledges it, and a tag is kept but never sent', { timeout: 90000 }, async () => {
    const workers = [0, 1].map(() => emulator.client({ redisUrl: redis.url, fleetLeaseMs: LEASE_MS }))
    assert.ok(workers.every((w) => w.inFleet && /\S/.test(w.workerId)) && workers[0].workerId !== workers[1].workerId)
    const body = delivery('evt-node-ack', 'p', 'c')
    for (const worker of workers) assert.deepEqual((await worker.webhooks.handleAsync(body, signed, { acknowledge: false })).map((e) => e.id), ['evt-node-ack'])
    await workers[1].webhooks.acknowledgeAsync(['evt-node-ack'])
    for (const worker of workers) {
      assert.deepEqual(await worker.webhooks.handleAsync(body, signed, { acknowledge: false }), [])
      assert.deepEqual(await worker.webhooks.handleAsync(body, signed), [])
    }

    const profile = await workers[0].createProfile('INDIVIDUAL_CUSTOMER', person('Tagged'))
    const before = emulator.requests().length
    await assert.rejects(workers[0].runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', tag: 'x'.repeat(257) }), passfort.InvalidArgumentError)
    await assert.rejects(workers[0].runChecks([{ profileId: profile.id, checkType: 'IDENTITY_CHECK', tag: 'line\nbreak' }]).then((items) => (items[0].ok ? 'ok' : Promise.reject(items[0].error))), passfort.InvalidArgumentError)
    assert.equal(emulator.requests().length, before, 'refused before any request')
    const check = await workers[0].runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', tag: 'order-17', mode: 'async', pollIntervalMs: 50 })
    assert.equal(check.state, 'COMPLETE')
    assert.ok(!JSON.stringify(emulator.checks()).includes('order-17'), 'the tag is not sent to PassFort')
    // Seen finished: it left the ledger, so nothing is there to recover.
    await until(async () => Object.keys(await redis.ledger()).length === 0, 'an empty ledger')
    assert.deepEqual(await workers[1].recover(), [])
    await Promise.all(workers.map((w) => w.close()))
  })

  it('recover() gives back a check another worker stopped waiting for: its entry, then the error or the finished check', { timeout: 90000 }, async () => {
    const [quitter, taker] = [0, 1].map(() => emulator.client({ redisUrl: redis.url, fleetLeaseMs: 300 }))
    const profile = await quitter.createProfile('INDIVIDUAL_CUSTOMER', person('Quitter'))
    await assert.rejects(quitter.verifyTask(profile.id, 'task-1', { checkType: 'IDENTITY_CHECK', tag: 'x'.repeat(300) }), passfort.InvalidArgumentError)
    emulator.configure({ providerLatencyMs: 1500 })
    const controller = new AbortController()
    const abandoned = quitter.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async', tag: 'abandoned-1', signal: controller.signal })
    const [checkId] = await until(async () => nonEmpty(Object.keys(await redis.ledger())), 'the check in the ledger')
    controller.abort()
    await assert.rejects(abandoned, passfort.AbortError)
    // Once the quitter's lease has expired: taken over, but waited for too briefly.
    const [timedOut] = await until(async () => nonEmpty(await taker.recover({ waitTimeoutMs: 1 })), 'the check taken over')
    emulator.configure({ providerLatencyMs: 50 })
    assert.equal(timedOut.checkId, checkId)
    assert.equal(timedOut.ok, false)
    assert.ok(timedOut.error instanceof passfort.CheckWaitTimeoutError, String(timedOut.error))
    assert.deepEqual(
      { profileId: timedOut.profileId, checkType: timedOut.checkType, taskIds: timedOut.taskIds, tag: timedOut.tag, previousOwner: timedOut.previousOwner },
      { profileId: profile.id, checkType: 'IDENTITY_CHECK', taskIds: [], tag: 'abandoned-1', previousOwner: quitter.workerId },
    )
    // Not seen finished, so still in the ledger: taken over again once the taker's own lease expired, then finished.
    const [finished] = await until(async () => nonEmpty(await taker.recover({ pollIntervalMs: 50, waitTimeoutMs: 20000 })), 'the check taken over again')
    assert.equal(finished.ok, true, String(finished.error))
    assert.equal(finished.previousOwner, taker.workerId)
    assert.equal(finished.check.id, checkId)
    assert.equal(finished.check.state, 'COMPLETE')
    assert.equal(finished.check.raw.id, checkId, 'the API JSON, parsed')
    assert.ok(['webhook', 'polling', 'immediately'].includes(finished.check.wait.resolvedBy))
    await until(async () => Object.keys(await redis.ledger()).length === 0, 'an empty ledger once seen finished')
    await Promise.all([quitter, taker].map((w) => w.close()))
  })
})

describe('a cluster of 2 Express workers sharing one Redis', { skip }, () => {
  let redis, emulator, app, profileId

  before(async () => {
    redis = new Redis(binary, await freePort())
    await redis.start()
    emulator = await startEmulator({ providerLatencyMs: 300 })
    app = await App.start('express.js', {
      WORKERS: '2',
      PASSFORT_API_KEY: API_KEY,
      PASSFORT_BASE_URL: emulator.baseUrl,
      PASSFORT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PASSFORT_REDIS_URL: redis.url,
      PASSFORT_FLEET_LEASE_MS: String(LEASE_MS),
      // The fleet's share of the rate limit set below: 90 %.
      PASSFORT_RATE_BUDGET_PER_HOUR: '32400',
      PASSFORT_RATE_BUDGET_BURST: '5',
    })
    emulator.setWebhook(app.webhookUrl)
    profileId = (await emulator.client().createProfile('INDIVIDUAL_CUSTOMER', person('Fleet'))).id
  })

  after(async () => {
    await app?.stop()
    await emulator?.close()
    await redis?.stop()
  })

  /** Starts `count` waiters (each on a connection of its own, so in both workers), tagged `${prefix}-n`. */
  function waiters(prefix, count) {
    return Array.from({ length: count }, (_, n) => app.post(`/customers/${profileId}/identity-check`, { tag: `${prefix}-${n}` }))
  }

  it('every wait, in either worker, is resolved by its webhook, on whichever worker it lands (at most 2 reads a check)', { timeout: 90000 }, async () => {
    const deliveriesBefore = app.where('delivery').length
    const answers = await Promise.all(waiters('fan', 40))
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.equal(answer.body.check.wait.resolvedBy, 'webhook', JSON.stringify(answer.body))
      assert.ok(readsOf(emulator, answer.body.check.id) <= 2, `${readsOf(emulator, answer.body.check.id)} reads of ${answer.body.check.id}`)
    }
    const checkIds = answers.map((a) => a.body.check.id)
    assert.equal(new Set(checkIds).size, 40)
    assert.deepEqual(new Set(answers.map((a) => a.body.pid)), new Set(app.workers.keys()), 'waiters in both workers')
    // Each check's CHECK_COMPLETED was acted on once, in the fleet.
    const acted = await until(() => {
      const lines = app.where('acted').filter((line) => checkIds.includes(line.checkId))
      return lines.length >= 40 && lines
    }, 'every CHECK_COMPLETED acted on')
    assert.deepEqual(acted.map((line) => line.checkId).sort(), [...checkIds].sort())
    const receivers = app.where('delivery').slice(deliveriesBefore)
    // The emulator keeps its connection alive, as PassFort may: its webhooks may all land on one worker.
    // Fan-out: the receiving worker's hub returned -> the waiter in the other worker answered (its one GET included).
    const receivedAt = new Map()
    for (const line of receivers) for (const id of line.delivery) receivedAt.set(id, line)
    const latencies = []
    for (const answer of answers) {
      const event = acted.find((line) => line.checkId === answer.body.check.id)
      const received = receivedAt.get(event.eventId)
      if (received.pid !== answer.body.pid) latencies.push(answer.body.resolvedAt - received.at)
    }
    latencies.sort((a, b) => a - b)
    assert.ok(latencies.length > 0, 'waiters woken by a webhook that landed on the other worker')
    process.stderr.write(`fan-out across the Node cluster (${latencies.length} cross-worker waits of 40): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms\n`)
  })

  it("each event is acted on once in the fleet, however often PassFort's retries deliver it, to either worker", { timeout: 90000 }, async () => {
    const first = app.where('delivery').length
    const ids = Array.from({ length: 5 }, (_, n) => `evt-retried-${n}`)
    // Each event delivered 4 times, all at once, on connections of their own (so to both workers).
    const sends = ids.flatMap((id, n) => Array.from({ length: 4 }, () => app.post('/passfort/webhooks', delivery(id, profileId, `check-retried-${n}`), signed)))
    const statuses = (await Promise.all(sends)).map((answer) => answer.status)
    assert.deepEqual(statuses, Array(20).fill(200))
    const lines = await until(() => app.where('delivery').length >= first + 20 && app.where('delivery').slice(first), 'a log line per delivery')
    assert.equal(lines.length, 20)
    assert.deepEqual(lines.flatMap((line) => line.delivery).sort(), ids, 'each event returned by the hub once in the fleet')
    assert.deepEqual(new Set(lines.map((line) => line.pid)), new Set(app.workers.keys()), 'the retries reached both workers')
    // The claims live in Redis.
    for (const id of ids) assert.equal(await redis.cli('EXISTS', `passfort:fleet:event:${id}`), '1')
    // A bad signature is refused.
    const forged = await app.post('/passfort/webhooks', delivery('evt-forged', profileId, 'c'), { ...signed, authorization: 'Bearer whsec_not_the_secret' })
    assert.equal(forged.status, 401)
  })

  it("2 workers spending 90 % of PassFort's rate limit meet no 429", { timeout: 90000 }, async () => {
    // PassFort's limit, made small: 10 creations a second, 5 at once.
    await setEmulatorConfig(emulator, { rate_limits: { profiles: { per_hour: 36000, burst: 5 } } })
    try {
      const first = emulator.requests().length
      const answers = await Promise.all(Array.from({ length: 24 }, (_, n) => app.post('/customers', person(`Budget${n}`))))
      assert.deepEqual(answers.map((a) => a.status), Array(24).fill(201), JSON.stringify(answers.find((a) => a.status !== 201)?.body))
      assert.deepEqual(new Set(answers.map((a) => a.body.pid)), new Set(app.workers.keys()), 'both workers created profiles')
      const creations = emulator.requests().slice(first).filter((r) => r.method === 'POST' && r.path.endsWith('/profiles'))
      assert.equal(creations.length, 24)
      assert.equal(creations.filter((r) => r.status === 429).length, 0)
    } finally {
      await setEmulatorConfig(emulator, { rate_limits: { profiles: null } })
    }
  })

  it('Redis stopped and restarted mid-run: every wait resolves, none twice', { timeout: 90000 }, async () => {
    emulator.configure({ providerLatencyMs: 2500 })
    const checksBefore = emulator.checks().length
    const deliveriesBefore = emulator.webhookDeliveries().filter((d) => d.status === 200).length
    const pending = waiters('redis', 8)
    // Every check started and in the ledger; then Redis goes, and the checks finish (their webhooks delivered) while it is away.
    await until(async () => emulator.checks().length === checksBefore + 8 && Object.keys(await redis.ledger()).length === 8, '8 checks in the ledger')
    await redis.stop()
    await until(() => emulator.checks().slice(checksBefore).every((c) => c.state === 'COMPLETE'), 'the checks finished', { timeoutMs: DEADLINE_MS })
    await until(() => emulator.webhookDeliveries().filter((d) => d.status === 200).length >= deliveriesBefore + 8, 'their webhooks delivered', { timeoutMs: DEADLINE_MS })
    await redis.start()
    const answers = await Promise.all(pending)
    emulator.configure({ providerLatencyMs: 300 })
    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body))
    const checkIds = answers.map((a) => a.body.check.id)
    assert.equal(new Set(checkIds).size, 8, 'each wait got its own check')
    const how = answers.map((a) => a.body.check.wait.resolvedBy)
    process.stderr.write(`with Redis away and back: ${how.filter((b) => b === 'webhook').length} of 8 waits woken by a webhook, ${how.filter((b) => b === 'polling').length} by polling\n`)
    // Each was seen finished by its waiter and left the ledger: none can be handed over again.
    await until(async () => Object.keys(await redis.ledger()).length === 0 && (await redis.cli('ZCARD', 'passfort:fleet:leases')) === '0', 'an empty ledger')
    assert.deepEqual(app.where('recovered').filter((line) => checkIds.includes(line.recovered)), [], 'no check handed over as well')
  })

  it('SIGKILL of a worker with waits in flight: recover() in the other hands each of its checks over once', { timeout: 90000 }, async () => {
    emulator.configure({ providerLatencyMs: 3000 })
    const checksBefore = emulator.checks().length
    const pending = waiters('kill', 8).map((answer) => answer.catch((error) => ({ lost: error.code ?? String(error) })))
    const ledger = await until(async () => {
      const entries = await redis.ledger()
      return emulator.checks().length === checksBefore + 8 && Object.keys(entries).length === 8 && entries
    }, '8 checks in the ledger')
    const owners = new Map([...app.workers].map(([pid, workerId]) => [workerId, pid]))
    const byOwner = new Map()
    for (const [checkId, entry] of Object.entries(ledger)) byOwner.set(entry.owner, [...(byOwner.get(entry.owner) ?? []), [checkId, entry]])
    assert.deepEqual(new Set(byOwner.keys()), new Set(owners.keys()), 'waits in flight in both workers')
    const [victimId, victimChecks] = [...byOwner].sort((a, b) => b[1].length - a[1].length)[0]
    const victim = owners.get(victimId)
    const survivor = [...app.workers.keys()].find((pid) => pid !== victim)
    process.kill(victim, 'SIGKILL')
    app.workers.delete(victim)

    const answers = await Promise.all(pending)
    assert.equal(answers.filter((a) => a.lost).length, victimChecks.length, 'the dead worker never answered its waiters')
    assert.ok(answers.filter((a) => !a.lost).every((a) => a.status === 200 && a.body.pid === survivor))
    const handedOver = await until(() => {
      const lines = app.where('recovered').filter((line) => line.recovered in ledger)
      return lines.length >= victimChecks.length && lines
    }, "the dead worker's checks recovered", { timeoutMs: DEADLINE_MS })
    // Each left the ledger once seen finished: none can be handed over again.
    await until(async () => Object.keys(await redis.ledger()).length === 0, 'an empty ledger', { timeoutMs: DEADLINE_MS })
    const recovered = app.where('recovered').filter((line) => line.recovered in ledger)
    assert.deepEqual(recovered.map((line) => line.recovered).sort(), victimChecks.map(([checkId]) => checkId).sort(), 'each handed over exactly once')
    for (const line of handedOver) {
      assert.equal(line.pid, survivor)
      assert.equal(line.ok, true, line.result)
      assert.equal(line.previousOwner, victimId)
      assert.equal(line.profileId, profileId)
      assert.equal(line.tag, ledger[line.recovered].tag)
      assert.match(line.tag, /^kill-\d$/)
    }
  })
})

describe('the Fastify recipe under cluster', { skip }, () => {
  let redis, emulator, app

  before(async () => {
    redis = new Redis(binary, await freePort())
    await redis.start()
    emulator = await startEmulator({ providerLatencyMs: 300 })
    app = await App.start('fastify.js', {
      WORKERS: '2',
      PASSFORT_API_KEY: API_KEY,
      PASSFORT_BASE_URL: emulator.baseUrl,
      PASSFORT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PASSFORT_REDIS_URL: redis.url,
    })
    emulator.setWebhook(app.webhookUrl)
  })

  after(async () => {
    await app?.stop()
    await emulator?.close()
    await redis?.stop()
  })

  it('verifies the raw body, and a webhook wakes a waiter', { timeout: 90000 }, async () => {
    const first = app.where('delivery').length
    const body = delivery('evt-fastify', 'p', 'c')
    assert.equal((await app.post('/passfort/webhooks', body, signed)).status, 200)
    assert.equal((await app.post('/passfort/webhooks', body, signed)).status, 200)
    assert.equal((await app.post('/passfort/webhooks', body, { ...signed, authorization: 'Bearer whsec_not_the_secret' })).status, 401)
    // The raw bytes reach the hub: a body that is not JSON is refused by it, not by Fastify's parser.
    assert.equal((await app.post('/passfort/webhooks', '{"id": ', signed)).status, 400)
    const lines = await until(() => app.where('delivery').length >= first + 2 && app.where('delivery').slice(first), 'a log line per delivery')
    assert.deepEqual(lines.flatMap((line) => line.delivery), ['evt-fastify'], 'verified, and de-duplicated across the workers')

    const profile = await emulator.client().createProfile('INDIVIDUAL_CUSTOMER', person('Fastify'))
    const answer = await app.post(`/customers/${profile.id}/identity-check`, { tag: 'fastify-1' })
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    assert.equal(answer.body.check.wait.resolvedBy, 'webhook')
    assert.ok(readsOf(emulator, answer.body.check.id) <= 2)
  })
})
