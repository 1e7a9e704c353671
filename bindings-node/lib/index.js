'use strict'
// The `passfort` package: the PassFort class over the native addon. This
// layer converts arguments, errors, AbortSignals and lifetimes; every
// behaviour (retries, waiting, webhooks, the task policy) is in the Rust core.

const native = require('./native.js')
const errors = require('./errors.js')

const { AbortError, toJsError } = errors

function rethrow(error) {
  throw toJsError(error)
}

/**
 * Runs a native call, turning its rejection (or throw) into the package's
 * errors and its result into the package's shape (see `check` below).
 */
function call(run, shape) {
  let promise
  try {
    promise = run()
  } catch (error) {
    return Promise.reject(toJsError(error))
  }
  return shape ? promise.then(shape, rethrow) : promise.catch(rethrow)
}

/** Runs a cancellable native call; aborting `signal` drops the Rust future. */
async function withSignal(signal, run, shape) {
  if (!signal) return call(() => run(undefined), shape)
  if (signal.aborted) throw new AbortError()
  const token = native.newCancelToken()
  const onAbort = () => native.cancel(token)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await call(() => run(token), shape)
  } finally {
    signal.removeEventListener('abort', onAbort)
    native.releaseCancelToken(token)
  }
}

// The addon sends each resource's API JSON as text in `raw`; these parse it
// with V8's JSON.parse, in place, and add the free-form fields from it.
function check(resource) {
  const raw = (resource.raw = JSON.parse(resource.raw))
  resource.providers = raw.providers ?? []
  resource.inputData = raw.input_data
  resource.outputData = raw.output_data
  return resource
}

function task(resource) {
  resource.raw = JSON.parse(resource.raw)
  return resource
}

function profile(resource) {
  const raw = (resource.raw = JSON.parse(resource.raw))
  resource.collectedData = raw.collected_data ?? {}
  resource.checks.forEach(check)
  resource.tasks.forEach(task)
  return resource
}

function outcome(result) {
  result.checks.forEach(check)
  if (result.task) task(result.task)
  return result
}

const each = (shape) => (list) => list.map(shape)

function bodyBuffer(rawBody) {
  if (Buffer.isBuffer(rawBody)) return rawBody
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8')
  if (rawBody instanceof Uint8Array) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength)
  throw new TypeError('a webhook body is a Buffer or a string (use express.raw(), not express.json())')
}

/** Headers from Node (`req.headers`), fetch (`Headers`), a Map or pairs, as a plain record. */
function headerRecord(headers) {
  const record = {}
  if (!headers) return record
  const pairs = typeof headers.entries === 'function' && !Array.isArray(headers) ? headers.entries() : Array.isArray(headers) ? headers : Object.entries(headers)
  for (const [name, value] of pairs) {
    if (value === undefined) continue
    record[String(name).toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return record
}

function verifyWebhook(rawBody, headers, secret) {
  try {
    return native.verifyWebhook(bodyBuffer(rawBody), headerRecord(headers), secret)
  } catch (error) {
    throw toJsError(error)
  }
}

/** A batch request, checked for the fields it must have. */
function batchJob(request, index, required) {
  if (request === null || typeof request !== 'object') throw new TypeError(`request ${index}: expected an object`)
  for (const field of required) {
    if (typeof request[field] !== 'string') throw new TypeError(`request ${index}: ${field} must be a string`)
  }
  return request
}

/** The native progress callback: the user's, kept from throwing into the addon. */
function progressCallback(onProgress) {
  if (onProgress === undefined || onProgress === null) return undefined
  if (typeof onProgress !== 'function') throw new TypeError('onProgress must be a function')
  return (progress) => {
    try {
      onProgress(progress)
    } catch (error) {
      process.emitWarning(`passfort: onProgress threw: ${error}`)
    }
  }
}

function batchItem(request, error, key, value) {
  if (error) return { ok: false, request, error: toJsError(new Error(error)) }
  return { ok: true, request, [key]: value }
}

class Webhooks {
  #native
  #servers = new Set()

  constructor(nativeClient) {
    this.#native = nativeClient
  }

  /** Verifies a delivery, drops events already seen, wakes waiters, returns the new events. */
  handle(rawBody, headers) {
    try {
      return this.#native.handleWebhook(bodyBuffer(rawBody), headerRecord(headers))
    } catch (error) {
      throw toJsError(error)
    }
  }

  /** Runs the built-in listener; it keeps the process alive until `close()`. */
  async serve({ host = '127.0.0.1', port = 0, path = '/passfort/webhooks' } = {}) {
    const listener = await call(() => this.#native.serveWebhooks(host, port, path))
    // The listener runs on the Rust runtime, which holds no handle of Node's:
    // this timer is what keeps a serving process alive.
    const keepAlive = setInterval(() => {}, 2 ** 30)
    const server = {
      url: listener.url,
      close: async () => {
        if (!this.#servers.delete(server)) return
        clearInterval(keepAlive)
        await listener.close()
      },
    }
    this.#servers.add(server)
    return server
  }

  async closeAll() {
    await Promise.all([...this.#servers].map((server) => server.close()))
  }
}

class PassFort {
  #native

  constructor({ apiKey, baseUrl, timeoutMs = 30000, syncTimeoutMs = 150000, maxRetries = 2, webhookSecret, maxConnections = 256 } = {}) {
    try {
      this.#native = new native.NativeClient({
        apiKey,
        baseUrl,
        timeoutMs,
        syncTimeoutMs,
        maxRetries,
        webhookSecret,
        maxConnections,
        binding: `node/${process.versions.node}`,
      })
    } catch (error) {
      throw toJsError(error)
    }
    this.webhooks = new Webhooks(this.#native)
  }

  get baseUrl() {
    return this.#native.baseUrl
  }

  whoami() {
    return call(() => this.#native.whoami())
  }

  createProfile(role, collectedData = {}) {
    return call(() => this.#native.createProfile(role, collectedData), profile)
  }

  getProfile(profileId) {
    return call(() => this.#native.getProfile(profileId), profile)
  }

  /** Every profile matching `query`, fetching pages as you iterate. */
  async *listProfiles({ query, pageSize } = {}) {
    const pager = this.#native.listProfiles(query, pageSize)
    for (;;) {
      const next = await call(() => pager.next())
      if (next == null) return
      yield profile(next)
    }
  }

  runCheck(profileId, { checkType, taskIds, variantAlias, variantId, mode } = {}) {
    return call(() => this.#native.runCheck(profileId, { checkType, taskIds, variantAlias, variantId, mode }), check)
  }

  getCheck(profileId, checkId) {
    return call(() => this.#native.getCheck(profileId, checkId), check)
  }

  listChecks(profileId) {
    return call(() => this.#native.listChecks(profileId), each(check))
  }

  waitForCheck(profileId, checkId, { timeoutMs, pollIntervalMs, signal } = {}) {
    return withSignal(signal, (token) => this.#native.waitForCheck(profileId, checkId, timeoutMs, pollIntervalMs, token), check)
  }

  runCheckAndWait(profileId, { checkType, taskIds, variantAlias, variantId, mode = 'sync' } = {}, { timeoutMs, signal } = {}) {
    const request = { checkType, taskIds, variantAlias, variantId, mode }
    return withSignal(signal, (token) => this.#native.runCheckAndWait(profileId, request, timeoutMs, token), check)
  }

  getTask(profileId, taskId) {
    return call(() => this.#native.getTask(profileId, taskId), task)
  }

  listTasks(profileId) {
    return call(() => this.#native.listTasks(profileId), each(task))
  }

  completeTask(profileId, taskId, state) {
    return call(() => this.#native.completeTask(profileId, taskId, state), task)
  }

  verifyTask(profileId, taskId, { checkType, variantAlias, variantId, maxFailures = 3, timeoutMs, signal } = {}) {
    const options = { checkType, variantAlias, variantId, maxFailures, timeoutMs }
    return withSignal(signal, (token) => this.#native.verifyTask(profileId, taskId, options, token), outcome)
  }

  /**
   * Runs every check and waits for each, `concurrency` at a time. Resolves to
   * one item per request, in input order: `{ ok: true, request, check }` or
   * `{ ok: false, request, error }`; one failure never stops the rest.
   * `onProgress({ done, total, failed })` runs after each item; aborting
   * `signal` cancels the whole batch.
   */
  async runChecks(requests, { concurrency = 8, mode = 'sync', timeoutMs, onProgress, signal } = {}) {
    const list = Array.from(requests)
    const jobs = list.map((request, index) => batchJob(request, index, ['profileId', 'checkType']))
    const items = await withSignal(signal, (token) =>
      this.#native.runChecks(jobs, { concurrency, mode, timeoutMs }, progressCallback(onProgress), token),
    )
    return items.map((item, index) => batchItem(list[index], item.error, 'check', item.check && check(item.check)))
  }

  /** `verifyTask` for every request, `concurrency` at a time; items as `runChecks`, with `outcome`. */
  async verifyTasks(requests, { concurrency = 8, maxFailures = 3, timeoutMs, onProgress, signal } = {}) {
    const list = Array.from(requests)
    const jobs = list.map((request, index) => batchJob(request, index, ['profileId', 'taskId', 'checkType']))
    const items = await withSignal(signal, (token) =>
      this.#native.verifyTasks(jobs, { concurrency, maxFailures, timeoutMs }, progressCallback(onProgress), token),
    )
    return items.map((item, index) => batchItem(list[index], item.error, 'outcome', item.outcome && outcome(item.outcome)))
  }

  /** Stops the webhook listeners this client started. Connections close when the client is collected. */
  async close() {
    await this.webhooks.closeAll()
  }
}

const { toJsError: _internal, ...errorClasses } = errors
module.exports = { PassFort, verifyWebhook, ...errorClasses }
