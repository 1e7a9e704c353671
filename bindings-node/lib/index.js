'use strict'
// The `passfort` package: the PassFort class over the native addon. This
// layer converts arguments, errors, AbortSignals and lifetimes; every
// behaviour (retries, waiting, webhooks, the task policy) is in the Rust core.

const native = require('./native.js')
const errors = require('./errors.js')

const { AbortError, toJsError } = errors

/** Runs a native call, turning its rejection (or throw) into the package's errors. */
async function call(run) {
  try {
    return await run()
  } catch (error) {
    throw toJsError(error)
  }
}

/** Runs a cancellable native call; aborting `signal` drops the Rust future. */
async function withSignal(signal, run) {
  if (!signal) return call(() => run(undefined))
  if (signal.aborted) throw new AbortError()
  const token = native.newCancelToken()
  const onAbort = () => native.cancel(token)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await call(() => run(token))
  } finally {
    signal.removeEventListener('abort', onAbort)
    native.releaseCancelToken(token)
  }
}

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

  constructor({ apiKey, baseUrl, timeoutMs = 30000, syncTimeoutMs = 150000, maxRetries = 2, webhookSecret } = {}) {
    try {
      this.#native = new native.NativeClient({
        apiKey,
        baseUrl,
        timeoutMs,
        syncTimeoutMs,
        maxRetries,
        webhookSecret,
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
    return call(() => this.#native.createProfile(role, collectedData))
  }

  getProfile(profileId) {
    return call(() => this.#native.getProfile(profileId))
  }

  /** Every profile matching `query`, fetching pages as you iterate. */
  async *listProfiles({ query, pageSize } = {}) {
    const pager = this.#native.listProfiles(query, pageSize)
    for (;;) {
      const profile = await call(() => pager.next())
      if (profile == null) return
      yield profile
    }
  }

  runCheck(profileId, { checkType, taskIds, variantAlias, variantId, mode } = {}) {
    return call(() => this.#native.runCheck(profileId, { checkType, taskIds, variantAlias, variantId, mode }))
  }

  getCheck(profileId, checkId) {
    return call(() => this.#native.getCheck(profileId, checkId))
  }

  listChecks(profileId) {
    return call(() => this.#native.listChecks(profileId))
  }

  waitForCheck(profileId, checkId, { timeoutMs, pollIntervalMs, signal } = {}) {
    return withSignal(signal, (token) => this.#native.waitForCheck(profileId, checkId, timeoutMs, pollIntervalMs, token))
  }

  runCheckAndWait(profileId, { checkType, taskIds, variantAlias, variantId, mode = 'sync' } = {}, { timeoutMs, signal } = {}) {
    const check = { checkType, taskIds, variantAlias, variantId, mode }
    return withSignal(signal, (token) => this.#native.runCheckAndWait(profileId, check, timeoutMs, token))
  }

  getTask(profileId, taskId) {
    return call(() => this.#native.getTask(profileId, taskId))
  }

  listTasks(profileId) {
    return call(() => this.#native.listTasks(profileId))
  }

  completeTask(profileId, taskId, state) {
    return call(() => this.#native.completeTask(profileId, taskId, state))
  }

  verifyTask(profileId, taskId, { checkType, variantAlias, variantId, maxFailures = 3, timeoutMs, signal } = {}) {
    const options = { checkType, variantAlias, variantId, maxFailures, timeoutMs }
    return withSignal(signal, (token) => this.#native.verifyTask(profileId, taskId, options, token))
  }

  /** Stops the webhook listeners this client started. Connections close when the client is collected. */
  async close() {
    await this.webhooks.closeAll()
  }
}

const { toJsError: _internal, ...errorClasses } = errors
module.exports = { PassFort, verifyWebhook, ...errorClasses }
