'use strict'
// The shared mission scenarios (tests/scenarios/mission.json), one test each.
// The step language is described at the top of the JSON file; this file is
// its Node interpreter. Durations in the file are seconds: calls and options
// get them in milliseconds under their camelCase names with Ms.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { PassFort, AbortError } = require('passfort')
const { Emulator } = require('passfort/testing')
const { person } = require('./helpers.js')

/** `run_document_check`'s image: a 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenarios', 'mission.json'), 'utf8'))
const durations = new Set(table.durations)
const API_KEY = 'sk_mission_node_94d2'
const WEBHOOK_SECRET = 'whsec_mission_node_6b1f'

// How often the runner reads the emulator's log while it waits for something.
const LOG_POLL_MS = 20

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const camel = (name) => name.replace(/_(.)/g, (_, c) => c.toUpperCase())

/** Arguments and options as Node names and units them. */
function nodeArgs(args, names) {
  const out = {}
  for (const name of names) {
    if (!(name in args)) continue
    if (durations.has(name)) out[`${camel(name)}Ms`] = args[name] * 1000
    else out[camel(name)] = args[name]
  }
  return out
}

// ---- views: what `as` binds, the same shape in every runner ----------------

const orNull = (value) => (value === undefined ? null : value)

function checkView(check) {
  return {
    id: check.id,
    check_type: check.checkType,
    state: check.state,
    result: orNull(check.result),
    decision: orNull(check.decision),
    task_ids: check.taskIds,
    is_complete: check.isComplete,
    ...(check.wait ? { resolved_by: check.wait.resolvedBy } : {}),
  }
}

function taskView(task) {
  return { id: task.id, type: task.type, state: task.state, is_complete: task.isComplete, check_ids: task.checkIds }
}

function profileView(profile) {
  return { id: profile.id, role: profile.role, tasks: profile.tasks.map(taskView) }
}

function outcomeView(outcome) {
  return { stop: outcome.stop, needs_review: outcome.needsReview, checks: outcome.checks.map(checkView), task: outcome.task ? taskView(outcome.task) : null }
}

function errorView(error) {
  return { code: orNull(error.code), status: orNull(error.status), profile_id: orNull(error.profileId), check_id: orNull(error.checkId) }
}

// ---- references and expectations --------------------------------------------

function lookup(bound, reference) {
  const [name, ...parts] = reference.slice(1).split('.')
  assert.ok(name in bound, `nothing is bound to ${name}`)
  let value = bound[name]
  for (const part of parts) {
    const next = value !== null && typeof value === 'object' ? value[part] : undefined
    assert.ok(next !== undefined, `${reference}: no ${part} in ${JSON.stringify(value)}`)
    value = next
  }
  return value
}

function resolve(bound, value) {
  if (typeof value === 'string' && value.startsWith('$')) return lookup(bound, value)
  if (Array.isArray(value)) return value.map((item) => resolve(bound, item))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(bound, v)]))
  return value
}

function same(a, b) {
  try {
    assert.deepStrictEqual(a, b)
    return true
  } catch {
    return false
  }
}

function expect(actual, step) {
  const shown = `${step.expect}: got ${JSON.stringify(actual)}`
  if ('is' in step) assert.ok(same(actual, step.is), `${shown}, expected ${JSON.stringify(step.is)}`)
  if ('has' in step) {
    for (const [name, value] of Object.entries(step.has)) {
      assert.ok(actual !== null && typeof actual === 'object' && name in actual && same(actual[name], value), `${shown}, expected ${name} = ${JSON.stringify(value)}`)
    }
  }
  if ('one_of' in step) assert.ok(step.one_of.some((option) => same(actual, option)), `${shown}, expected one of ${JSON.stringify(step.one_of)}`)
  if ('length' in step) assert.ok(Array.isArray(actual) && actual.length === step.length, `${shown}, expected length ${step.length}`)
  if ('at_least' in step) assert.ok((Array.isArray(actual) ? actual.length : actual) >= step.at_least, `${shown}, expected at least ${step.at_least}`)
}

function pathMatches(pattern, requestPath) {
  const patterns = pattern.split('/')
  const segments = requestPath.split('/')
  return patterns.length === segments.length && patterns.every((p, i) => p === '*' || p === segments[i])
}

function requestMatches(wanted, request) {
  return (
    (!('method' in wanted) || request.method === wanted.method) &&
    (!('path' in wanted) || pathMatches(wanted.path, request.path)) &&
    (!('query' in wanted) || request.query === wanted.query)
  )
}

// ---- the runner -------------------------------------------------------------

class Runner {
  constructor(emulator) {
    this.emulator = emulator
    this.bound = {}
    this.started = {}
    this.clients = []
    this.servers = []
    this.client = this.makeClient({})
  }

  makeClient(options) {
    const { api_key: apiKey = API_KEY, ...rest } = options
    const client = new PassFort({ apiKey, baseUrl: this.emulator.baseUrl, webhookSecret: WEBHOOK_SECRET, ...nodeArgs(rest, Object.keys(rest)) })
    this.clients.push(client)
    return client
  }

  /** The call, resolving to its view. */
  async call(name, args, signal) {
    const client = this.client
    const check = (names) => ({ checkType: args.check_type, ...nodeArgs(args, names) })
    switch (name) {
      case 'whoami':
        return { institution: (await client.whoami()).institution.name }
      case 'create_profile':
        return profileView(await client.createProfile(args.role ?? 'INDIVIDUAL_CUSTOMER', person(args.family_name ?? 'Smith')))
      case 'get_profile':
        return profileView(await client.getProfile(args.profile))
      case 'get_check':
        return checkView(await client.getCheck(args.profile, args.check))
      case 'get_task':
        return taskView(await client.getTask(args.profile, args.task))
      case 'run_check':
        return checkView(await client.runCheck(args.profile, check(['task_ids', 'mode'])))
      case 'run_check_and_wait':
        return checkView(await client.runCheckAndWait(args.profile, { ...check(['task_ids', 'mode', 'wait_timeout']), signal }))
      case 'wait_for_check':
        return checkView(await client.waitForCheck(args.profile, args.check, { ...nodeArgs(args, ['wait_timeout', 'poll_interval']), signal }))
      case 'complete_task':
        return taskView(await client.completeTask(args.profile, args.task, args.state))
      case 'verify_task':
        return outcomeView(await client.verifyTask(args.profile, args.task, { ...check(['max_failures']), signal }))
      case 'run_checks': {
        const requests = args.requests.map((r) => ({ profileId: r.profile, checkType: r.check_type }))
        const items = await client.runChecks(requests, { ...nodeArgs(args, ['concurrency']), signal })
        return items.map((item) => ({ ok: item.ok, check: item.ok ? checkView(item.check) : null, error: item.ok ? null : item.error.code }))
      }
      case 'create_application': {
        const application = await client.applications.create(args.profile, { product: { alias: 'individual-account' } })
        return { id: application.id, status: application.status }
      }
      case 'list_applications':
        return client.applications.list(args.profile)
      case 'list_document_images':
        return client.documents.listImages(args.profile)
      case 'get_collected_data':
        return client.collectedData.get(args.profile)
      case 'decide_application': {
        const decision = await client.decideApplication(args.profile, args.application, { signal })
        return { outcome: decision.outcome, written: decision.written, status: decision.application.status, blockers: decision.blockers.map((b) => b.blocker_type) }
      }
      case 'run_document_check': {
        const document = { image: PNG, imageType: args.image_type ?? 'FRONT', documentType: args.document_type ?? 'PASSPORT', mode: 'sync' }
        return checkView(await client.runDocumentCheck(args.profile, document, { ...nodeArgs(args, ['wait_timeout']), signal }))
      }
      case 'update_collected_data': {
        const updated = await client.updateCollectedData(args.profile, args.change, { ...nodeArgs(args, ['max_attempts']), signal })
        return { data: updated.data, attempts: updated.attempts }
      }
    }
    throw new Error(`no such call in the step language: ${name}`)
  }

  async webhooks(how) {
    let url
    if (how === 'serve') {
      url = (await this.client.webhooks.serve({ port: 0 })).url
    } else if (how === 'handle') {
      const hub = this.client.webhooks
      const server = http.createServer((request, response) => {
        const chunks = []
        request.on('data', (chunk) => chunks.push(chunk))
        request.on('end', () => {
          let status = 200
          try {
            hub.handle(Buffer.concat(chunks), request.headers)
          } catch {
            status = 401
          }
          response.writeHead(status).end()
        })
      })
      await new Promise((done) => server.listen(0, '127.0.0.1', done))
      this.servers.push(server)
      url = `http://127.0.0.1:${server.address().port}/hooks`
    } else {
      throw new Error(`webhooks: ${how}?`)
    }
    this.emulator.setWebhook(url, { secret: WEBHOOK_SECRET })
  }

  /** The emulator's admin API, for the steps its library has no method for. */
  async admin(method, path, body) {
    const answer = await fetch(`${this.emulator.url}/_emulator${path}`, { method, body: JSON.stringify(body) })
    assert.ok(answer.ok, `admin ${path} answered ${answer.status}: ${await answer.text()}`)
  }

  read(read) {
    if ('requests' in read) return this.emulator.requests().filter((r) => requestMatches(read.requests, r))
    if ('checks' in read) return this.emulator.checks().filter((c) => !('profile' in read.checks) || c.profile_id === read.checks.profile)
    if ('deliveries' in read) {
      const wanted = read.deliveries
      return this.emulator.webhookDeliveries().filter((d) => (!('status' in wanted) || d.status === wanted.status) && (!('event' in wanted) || d.events.includes(wanted.event)))
    }
    throw new Error(`not an emulator read: ${JSON.stringify(read)}`)
  }

  async step(raw) {
    if ('expect' in raw) {
      return expect(lookup(this.bound, raw.expect), { ...resolve(this.bound, raw), expect: raw.expect })
    }
    const step = resolve(this.bound, raw)
    const bind = (value) => {
      if ('as' in step) this.bound[step.as] = value
    }
    const argsOf = (...reserved) => Object.fromEntries(Object.entries(step).filter(([k]) => !reserved.includes(k)))
    if ('configure' in step) {
      this.emulator.configure(nodeArgs(step.configure, ['sync_timeout', 'provider_latency']))
    } else if ('gateway_timeout' in step) {
      await this.admin('PUT', '/config', { gateway_timeout_ms: Math.round(step.gateway_timeout * 1000) })
    } else if ('after_next_read' in step) {
      await this.admin('POST', `/profiles/${step.after_next_read.profile}/collected_data/after_next_read`, step.after_next_read.change)
    } else if ('script' in step) {
      this.emulator.script(step.script.profile, step.script.check_type, step.script.results)
    } else if ('fault' in step) {
      const { delay, ...fault } = step.fault
      this.emulator.fault(delay === undefined ? fault : { ...fault, delayMs: delay * 1000 })
    } else if ('webhooks' in step) {
      await this.webhooks(step.webhooks)
    } else if ('client' in step) {
      if (!('error' in step)) {
        this.client = this.makeClient(step.client)
        return
      }
      assert.throws(() => this.makeClient(step.client), (error) => {
        assert.equal(error.code, step.error, `client ${JSON.stringify(step.client)}: ${error}`)
        return true
      })
    } else if ('call' in step) {
      const args = argsOf('call', 'as', 'error')
      if (!('error' in step)) return bind(await this.call(step.call, args))
      let value
      try {
        value = await this.call(step.call, args)
      } catch (error) {
        assert.equal(error.code, step.error, `${step.call}: ${error} (${error.code}), expected ${step.error}`)
        return bind(errorView(error))
      }
      assert.fail(`${step.call}: succeeded with ${JSON.stringify(value)}, expected ${step.error}`)
    } else if ('start' in step) {
      const controller = new AbortController()
      const settled = this.call(step.start, argsOf('start', 'as'), controller.signal).then(
        (value) => ({ value }),
        (error) => ({ error }),
      )
      this.started[step.as] = { controller, settled }
    } else if ('cancel' in step) {
      const { controller, settled } = this.started[step.cancel]
      delete this.started[step.cancel]
      controller.abort()
      const ended = await settled
      assert.ok(ended.error instanceof AbortError, `cancel ${step.cancel}: it ended with ${ended.error ?? JSON.stringify(ended.value)}`)
    } else if (['requests', 'checks', 'deliveries'].some((read) => read in step)) {
      bind(this.read(step))
    } else if ('wait_until' in step) {
      const deadline = Date.now() + (step.within ?? 10) * 1000
      for (;;) {
        const count = this.read(step.wait_until).length
        if (count >= step.at_least) break
        assert.ok(Date.now() < deadline, `wait_until ${JSON.stringify(step.wait_until)}: ${count} found, expected at least ${step.at_least}`)
        await sleep(LOG_POLL_MS)
      }
    } else if ('settle' in step) {
      const started = Date.now()
      const first = this.read(step.settle).length
      let count = first
      let changed = Date.now()
      while (Date.now() - changed < step.quiet * 1000) {
        assert.ok(Date.now() - started < (step.within ?? 10) * 1000, `settle ${JSON.stringify(step.settle)}: still growing (${first} then ${count})`)
        await sleep(LOG_POLL_MS)
        const now = this.read(step.settle).length
        if (now !== count) {
          count = now
          changed = Date.now()
        }
      }
      assert.ok(count - first <= step.grew_at_most, `settle ${JSON.stringify(step.settle)}: grew from ${first} to ${count}`)
    } else {
      throw new Error(`unknown step ${JSON.stringify(raw)}`)
    }
  }

  async close() {
    for (const { controller, settled } of Object.values(this.started)) {
      controller.abort()
      await settled
    }
    await Promise.all(this.servers.map((server) => new Promise((done) => server.close(done))))
    await Promise.all(this.clients.map((client) => client.close()))
  }
}

for (const scenario of table.scenarios) {
  test(scenario.name, async () => {
    const emulator = await Emulator.start({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, providerLatencyMs: 10 })
    const runner = new Runner(emulator)
    try {
      for (const [index, step] of scenario.steps.entries()) {
        try {
          await runner.step(step)
        } catch (error) {
          error.message = `step ${index + 1} ${JSON.stringify(step).slice(0, 160)}: ${error.message}`
          throw error
        }
      }
    } finally {
      await runner.close()
      await emulator.close()
    }
  })
}
