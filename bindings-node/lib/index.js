'use strict'
// The `passfort` package: the PassFort class over the native addon. This
// layer converts arguments, errors, AbortSignals and lifetimes; every
// behaviour (retries, waiting, webhooks, the task policy) is in the Rust core.

const native = require('./native.js')
const errors = require('./errors.js')
const operations = require('./operations.js')

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

/**
 * What an aborted call rejects with: the signal's own reason (an
 * `AbortSignal.timeout()`'s TimeoutError, or whatever `abort(reason)` was
 * given), or this package's AbortError for a plain `abort()`.
 */
function abortReason(signal) {
  const reason = signal.reason
  if (reason === undefined || (reason instanceof Error && reason.name === 'AbortError')) return new AbortError()
  return reason
}

/** Runs a cancellable native call; aborting `signal` drops the Rust future. */
async function withSignal(signal, run, shape) {
  if (!signal) return call(() => run(undefined), shape)
  if (signal.aborted) throw abortReason(signal)
  const token = native.newCancelToken()
  const onAbort = () => native.cancel(token)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await call(() => run(token), shape)
  } catch (error) {
    throw error instanceof AbortError && signal.aborted ? abortReason(signal) : error
  } finally {
    signal.removeEventListener('abort', onAbort)
    native.releaseCancelToken(token)
  }
}

/**
 * JSON the caller gave, as text for the core: converted as JSON.stringify
 * does (a Date becomes its ISO string, `toJSON` is honoured), or refused with
 * a TypeError where that would change the data silently (a Buffer or typed
 * array, NaN or Infinity) or cannot work (a BigInt, a cycle).
 */
function jsonText(what, value) {
  if (value === undefined) return undefined
  try {
    return JSON.stringify(value, function (key, item) {
      const original = this[key]
      if (Buffer.isBuffer(original) || ArrayBuffer.isView(original)) {
        throw new TypeError(`${what}: a ${original.constructor.name} is not JSON; encode it (base64, say) first`)
      }
      if (typeof item === 'number' && !Number.isFinite(item)) throw new TypeError(`${what}: ${item} is not a JSON number`)
      return item
    })
  } catch (error) {
    // A RangeError here is V8's stack running out on very deep data.
    if (error instanceof RangeError) throw new errors.InvalidArgumentError(`${what} is nested too deeply`)
    throw error instanceof TypeError ? new errors.InvalidArgumentError(error.message) : error
  }
}

let warnedTimeoutMs = false

/**
 * A wait's deadline: `waitTimeoutMs`. `timeoutMs` was its name before 0.2
 * and still works, with a one-time DeprecationWarning, since the client's
 * `timeoutMs` is per request.
 */
function waitTimeout({ waitTimeoutMs, timeoutMs }) {
  if (timeoutMs === undefined) return waitTimeoutMs
  if (waitTimeoutMs !== undefined) throw new errors.InvalidArgumentError('give waitTimeoutMs only (timeoutMs is its old name)')
  if (!warnedTimeoutMs) {
    warnedTimeoutMs = true
    process.emitWarning('timeoutMs on a wait is now waitTimeoutMs', 'DeprecationWarning')
  }
  return timeoutMs
}

/** The check fields of a call's options, as the addon takes them. */
function checkOptions({ checkType, taskIds, variantAlias, variantId, fields, mode, tag } = {}) {
  return { checkType, taskIds, variantAlias, variantId, fieldsJson: jsonText('fields', fields), mode, tag }
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

const CHECK_DATES = ['instructedOn', 'startedOn', 'completedOn', 'performedOn']

/**
 * A check the addon sends as JSON text (src/models.rs `check_text`): one
 * JSON.parse builds it, `raw` included; dates arrive as milliseconds.
 */
function checkFromText(text) {
  const resource = JSON.parse(text)
  for (const name of CHECK_DATES) {
    if (resource[name] !== undefined) resource[name] = new Date(resource[name])
  }
  const raw = resource.raw
  resource.providers = raw.providers ?? []
  resource.inputData = raw.input_data
  resource.outputData = raw.output_data
  return resource
}

// The addon settles its promises through these, so that a call's promise is
// the addon's own: rejections as the package's errors, checks as objects.
native.setShapes(toJsError, checkFromText)
// Calls made in one JS job reach the Rust runtime together, after it.
native.setStartScheduler(() => queueMicrotask(native.startCalls))

/** Runs a native call whose promise the addon settles already shaped; a throw becomes a rejection. */
function settled(run) {
  try {
    return run()
  } catch (error) {
    return Promise.reject(toJsError(error))
  }
}

function task(resource) {
  resource.raw = JSON.parse(resource.raw)
  return resource
}

function profile(resource) {
  const raw = (resource.raw = JSON.parse(resource.raw))
  resource.collectedData = raw.collected_data ?? null
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
  const { fields, ...rest } = request
  return { ...rest, fieldsJson: jsonText(`request ${index}: fields`, fields) }
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

/** A check `recover` took over: its ledger entry, then `{ ok: true, check }` or `{ ok: false, error }`. */
function recoveredCheck({ profileId, checkId, checkType, taskIds, tag, previousOwner, check: finished, error }) {
  const entry = { profileId, checkId, checkType, taskIds, tag: tag ?? null, previousOwner }
  if (error) return { ...entry, ok: false, error: toJsError(new Error(error)) }
  return { ...entry, ok: true, check: check(finished) }
}

function batchItem(request, error, key, value) {
  if (error) return { ok: false, request, error: toJsError(new Error(error)) }
  return { ok: true, request, [key]: value }
}

/** Header `[name, value]` pairs from a record, a Map or pairs; undefined values left out, arrays repeated. */
function pairs(what, given) {
  if (given === undefined || given === null) return undefined
  if (typeof given !== 'object') throw new errors.InvalidArgumentError(`${what} must be an object or [name, value] pairs`)
  const entries = typeof given.entries === 'function' && !Array.isArray(given) ? given.entries() : Array.isArray(given) ? given : Object.entries(given)
  const out = []
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new errors.InvalidArgumentError(`each of ${what} is a [name, value] pair`)
    const [name, value] = entry
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue
      if (typeof item !== 'string' && typeof item !== 'number') {
        throw new errors.InvalidArgumentError(`${what} ${String(name)}: expected a string or a number, got ${typeof item}`)
      }
      out.push([String(name), String(item)])
    }
  }
  return out
}

/**
 * Query parameters as `[name, value]` pairs from a record, a Map or pairs, each
 * value as given: the core leaves out absent ones, repeats arrays and refuses
 * what is not a string or an integer. `undefined` becomes `null` and a value
 * JSON cannot carry a `{ $type }` marker, so that the addon can take them.
 */
function queryPairs(given) {
  if (given === undefined || given === null) return undefined
  if (typeof given !== 'object') throw new errors.InvalidArgumentError('query must be an object or [name, value] pairs')
  const entries = typeof given.entries === 'function' && !Array.isArray(given) ? given.entries() : Array.isArray(given) ? given : Object.entries(given)
  const value = (item) => {
    if (item === undefined) return null
    if (Array.isArray(item)) return item.map(value)
    if (['function', 'symbol', 'bigint'].includes(typeof item)) return { $type: typeof item }
    return item
  }
  const out = []
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new errors.InvalidArgumentError('each of query is a [name, value] pair')
    out.push([String(entry[0]), value(entry[1])])
  }
  return out
}

/** Per-call options as the addon takes them. */
function callOptions(options) {
  if (options === undefined || options === null) return undefined
  if (typeof options !== 'object') throw new errors.InvalidArgumentError('options must be an object')
  const { timeoutMs, maxRetries, headers } = options
  return { timeoutMs, maxRetries, headers: pairs('headers', headers) }
}

/** The addon's response as the package's: `body` parsed, `raw` a Buffer. */
function response(answer) {
  const { bodyJson, ...rest } = answer
  const absent = (value) => (value === undefined ? null : value)
  return {
    status: rest.status,
    headers: rest.headers,
    requestId: absent(rest.requestId),
    etag: absent(rest.etag),
    rateLimitRemaining: absent(rest.rateLimitRemaining),
    rateLimitResetSecs: absent(rest.rateLimitResetSecs),
    rateLimitReset: absent(rest.rateLimitReset),
    retryAfterMs: absent(rest.retryAfterMs),
    body: JSON.parse(bodyJson),
    raw: rest.raw,
    adopted: rest.adopted,
  }
}

const bodyOf = (answer) => response(answer).body

let warnedSyncHandle = false

class Webhooks {
  #native
  #servers = new Set()

  constructor(nativeClient) {
    this.#native = nativeClient
  }

  /**
   * Verifies a delivery, drops events already seen, wakes waiters, returns the new events.
   * In a fleet it de-duplicates per process only (and still wakes every worker's waiters): use `handleAsync`.
   * With `{ acknowledge: false }` the events are not marked seen until
   * `acknowledge(ids)`: if your handler fails, answer an error and PassFort's
   * retry delivers them again.
   */
  handle(rawBody, headers, { acknowledge = true } = {}) {
    if (!warnedSyncHandle && this.#native.inFleet) {
      warnedSyncHandle = true
      process.emitWarning('webhooks.handle de-duplicates per process: in a fleet, use webhooks.handleAsync to de-duplicate across workers', 'PassFortWarning')
    }
    try {
      return this.#native.handleWebhook(bodyBuffer(rawBody), headerRecord(headers), acknowledge)
    } catch (error) {
      throw toJsError(error)
    }
  }

  /** Marks events handled (see `handle(..., { acknowledge: false })`). */
  acknowledge(eventIds) {
    this.#native.acknowledgeWebhooks(Array.from(eventIds))
  }

  /**
   * As `handle`, de-duplicated across the fleet when the client has a Redis
   * (`redisUrl`): an event is returned to one caller in the whole fleet, on
   * whichever worker it lands, however often PassFort retries it. Without a
   * fleet it resolves to what `handle` returns. Rejects with
   * WebhookVerificationError for a delivery that does not verify.
   */
  handleAsync(rawBody, headers, { acknowledge = true } = {}) {
    return call(() => this.#native.handleWebhookAsync(bodyBuffer(rawBody), headerRecord(headers), acknowledge))
  }

  /** As `acknowledge`, across the fleet (see `handleAsync(..., { acknowledge: false })`). */
  acknowledgeAsync(eventIds) {
    return call(() => this.#native.acknowledgeWebhooksAsync(Array.from(eventIds)))
  }

  /**
   * Runs the built-in listener; it keeps the process alive until `close()`.
   * Defaults (from the core): 127.0.0.1, any free port, /passfort/webhooks.
   */
  async serve({ host, port, path } = {}) {
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

  /**
   * Every option left undefined takes the core's default: timeoutMs 30000,
   * connectTimeoutMs 10000, syncTimeoutMs 150000, maxRetries 2,
   * maxRetryWaitMs 60000, maxConnections 256, webhookToleranceMs 300000 (how
   * far a webhook's timestamp may be from now). The core checks every range.
   * `proxy` (an http:// or https:// URL, credentials allowed) is used for every
   * request instead of HTTPS_PROXY/HTTP_PROXY/NO_PROXY, which are honoured
   * otherwise; `caBundle` is a PEM file of root certificates trusted on top of
   * the system's trust store. `redisUrl` (or PASSFORT_REDIS_URL) makes the
   * client a worker of a fleet sharing that Redis: webhooks, de-duplication,
   * the rate budget (`rateBudgetPerHour`, `rateBudgetBurst`) and the ledger of
   * checks waited for (each leased for `fleetLeaseMs`, default 30000).
   */
  constructor(options = {}) {
    const { apiKey, baseUrl, timeoutMs, connectTimeoutMs, syncTimeoutMs, maxRetries, maxRetryWaitMs } = options
    const { webhookSecret, maxConnections, allowInsecureHttp, includeBodySnippets, webhookToleranceMs } = options
    const { proxy, caBundle, redisUrl, fleetLeaseMs, rateBudgetPerHour, rateBudgetBurst } = options
    try {
      this.#native = new native.NativeClient({
        apiKey,
        baseUrl,
        timeoutMs,
        connectTimeoutMs,
        syncTimeoutMs,
        maxRetries,
        maxRetryWaitMs,
        webhookSecret,
        maxConnections,
        allowInsecureHttp,
        includeBodySnippets,
        webhookToleranceMs,
        proxy,
        caBundle,
        redisUrl,
        fleetLeaseMs,
        rateBudgetPerHour,
        rateBudgetBurst,
        binding: `node/${process.versions.node}`,
      })
    } catch (error) {
      throw toJsError(error)
    }
    this.webhooks = new Webhooks(this.#native)
    // Every operation of the core's table, by resource (generated: lib/operations.js).
    Object.assign(this, operations.namespaces((...args) => this.#invoke(bodyOf, ...args)))
    this.withRawResponse = operations.namespaces((...args) => this.#invoke(response, ...args))
  }

  /** A table operation by name: `path` by placeholder, `options` as in `OperationOptions`. */
  #invoke(shape, name, path, body, options) {
    const signal = options?.signal
    return withSignal(
      signal,
      (token) => {
        if (options !== undefined && (options === null || typeof options !== 'object')) throw new errors.InvalidArgumentError('options must be an object')
        for (const [placeholder, value] of Object.entries(path)) {
          if (typeof value !== 'string') throw new errors.InvalidArgumentError(`${placeholder} must be a string, not ${typeof value}`)
        }
        const args = { path, query: queryPairs(options?.query), bodyJson: jsonText('body', body), ifMatch: options?.ifMatch }
        return this.#native.call(name, args, callOptions(options), token)
      },
      shape,
    )
  }

  /**
   * Any request, `path` relative to the base URL, with the client's
   * authentication, retries and errors: `{ query, body, timeoutMs, maxRetries,
   * headers, signal }`. Resolves to the response with its metadata.
   */
  request(method, path, options = {}) {
    return withSignal(
      options?.signal,
      (token) => {
        if (options === null || typeof options !== 'object') throw new errors.InvalidArgumentError('options must be an object')
        const { query, body } = options
        return this.#native.request(method, path, queryPairs(query), jsonText('body', body), callOptions(options), token)
      },
      response,
    )
  }

  get baseUrl() {
    return this.#native.baseUrl
  }

  /** This worker's id in the fleet (host, process, random), or null without a fleet. */
  get workerId() {
    return this.#native.workerId ?? null
  }

  /** Whether this client is a worker of a fleet (`redisUrl` or PASSFORT_REDIS_URL). */
  get inFleet() {
    return this.#native.inFleet
  }

  /** Whether this worker hears the fleet's webhooks now (its Redis subscription is live). */
  get fleetSubscribed() {
    return this.#native.fleetSubscribed
  }

  /**
   * Takes over the checks of workers that stopped (their leases expired):
   * each is handed to exactly one caller in the fleet, waited for, and given
   * back once: `{ profileId, checkId, checkType, taskIds, tag, previousOwner,
   * ok: true, check }` or `{ ..., ok: false, error }` (the check stays in the
   * ledger, to be recovered again). Call it at start-up and every
   * `fleetLeaseMs` or so. Rejects with ConfigurationError without a fleet and
   * APIConnectionError while Redis is unreachable (nothing taken).
   */
  recover(options = {}) {
    const { pollIntervalMs, signal } = options ?? {}
    return withSignal(signal, (token) => this.#native.recover(waitTimeout(options ?? {}), pollIntervalMs, token), each(recoveredCheck))
  }

  whoami() {
    return call(() => this.#native.whoami())
  }

  createProfile(role, collectedData) {
    return call(() => this.#native.createProfile(role, jsonText('collectedData', collectedData)), profile)
  }

  getProfile(profileId) {
    return call(() => this.#native.getProfile(profileId), profile)
  }

  /** Every profile matching `query`, fetching pages as you iterate. */
  async *listProfiles({ query, pageSize } = {}) {
    let pager
    try {
      pager = this.#native.listProfiles(query, pageSize)
    } catch (error) {
      throw toJsError(error)
    }
    for (;;) {
      const next = await call(() => pager.next())
      if (next == null) return
      yield profile(next)
    }
  }

  runCheck(profileId, options = {}) {
    return settled(() => this.#native.runCheck(profileId, checkOptions(options)))
  }

  getCheck(profileId, checkId) {
    return settled(() => this.#native.getCheck(profileId, checkId))
  }

  listChecks(profileId) {
    return call(() => this.#native.listChecks(profileId), each(check))
  }

  waitForCheck(profileId, checkId, options = {}) {
    const { pollIntervalMs, signal } = options
    return withSignal(signal, (token) => this.#native.waitForCheck(profileId, checkId, waitTimeout(options), pollIntervalMs, token))
  }

  runCheckAndWait(profileId, options = {}, waitOptions = {}) {
    // One options object; a second argument is still read, for older callers.
    const { pollIntervalMs = waitOptions.pollIntervalMs, signal = waitOptions.signal } = options
    const deadline = waitTimeout({ waitTimeoutMs: options.waitTimeoutMs ?? waitOptions.waitTimeoutMs, timeoutMs: options.timeoutMs ?? waitOptions.timeoutMs })
    return withSignal(signal, (token) => this.#native.runCheckAndWait(profileId, checkOptions(options), deadline, pollIntervalMs, token))
  }

  /** Approves, rejects or reports the blockers of an application, once (see the core's `decide_application`). */
  decideApplication(profileId, applicationId, options = {}) {
    return withSignal(options.signal, (token) => this.#native.decideApplication(profileId, applicationId, token), (decision) => decision)
  }

  /** Changes collected data safely: read with its ETag, apply `change`, write with If-Match, re-apply on 412 (see the core's `update_collected_data`). */
  updateCollectedData(profileId, change, options = {}) {
    const { maxAttempts, signal } = options ?? {}
    return withSignal(signal, (token) => this.#native.updateCollectedData(profileId, jsonText('change', change) ?? 'null', maxAttempts, token), (updated) => updated)
  }

  /**
   * Uploads the image, adds a document naming it, runs DOCUMENT_VERIFICATION
   * with its `document_id` and waits. Bad image input rejects with
   * `InvalidArgumentError` before any request.
   */
  runDocumentCheck(profileId, given = {}, waitOptions = {}) {
    const { image, imageType, documentType, documentCategory, taskIds, mode } = given ?? {}
    const { pollIntervalMs, signal } = waitOptions
    const bytes = image instanceof Uint8Array ? (Buffer.isBuffer(image) ? image : Buffer.from(image.buffer, image.byteOffset, image.byteLength)) : undefined
    const imageKind = bytes ? undefined : image === null ? 'null' : typeof image === 'object' ? image.constructor?.name ?? 'object' : typeof image
    const options = { image: bytes, imageKind, imageType, documentType, documentCategory, taskIds, mode }
    return withSignal(signal, (token) => this.#native.runDocumentCheck(profileId, options, waitTimeout(waitOptions), pollIntervalMs, token))
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

  verifyTask(profileId, taskId, given = {}) {
    const { checkType, variantAlias, variantId, fields, maxFailures, mode, tag, signal } = given
    const options = { checkType, variantAlias, variantId, fieldsJson: jsonText('fields', fields), maxFailures, mode, tag, timeoutMs: waitTimeout(given) }
    return withSignal(signal, (token) => this.#native.verifyTask(profileId, taskId, options, token), outcome)
  }

  /**
   * Runs every check and waits for each, `concurrency` at a time. Resolves to
   * one item per request, in input order: `{ ok: true, request, check }` or
   * `{ ok: false, request, error }`; one failure never stops the rest.
   * `onProgress({ done, total, failed })` runs after each item; aborting
   * `signal` cancels the whole batch.
   */
  async runChecks(requests, options = {}) {
    const { concurrency, mode, onProgress, signal } = options
    const timeoutMs = waitTimeout(options)
    const list = Array.from(requests)
    const jobs = list.map((request, index) => batchJob(request, index, ['profileId', 'checkType']))
    const items = await withSignal(signal, (token) =>
      this.#native.runChecks(jobs, { concurrency, mode, timeoutMs }, progressCallback(onProgress), token),
    )
    return items.map((item, index) => batchItem(list[index], item.error, 'check', item.check && check(item.check)))
  }

  /** `verifyTask` for every request, `concurrency` at a time; items as `runChecks`, with `outcome`. */
  async verifyTasks(requests, options = {}) {
    const { concurrency, maxFailures, onProgress, signal } = options
    const timeoutMs = waitTimeout(options)
    const list = Array.from(requests)
    const jobs = list.map((request, index) => batchJob(request, index, ['profileId', 'taskId', 'checkType']))
    const items = await withSignal(signal, (token) =>
      this.#native.verifyTasks(jobs, { concurrency, maxFailures, timeoutMs }, progressCallback(onProgress), token),
    )
    return items.map((item, index) => batchItem(list[index], item.error, 'outcome', item.outcome && outcome(item.outcome)))
  }

  /** Stops the webhook listeners this client started and closes its connections now; later calls reject with ClientClosedError. */
  async close() {
    await this.webhooks.closeAll()
    this.#native.close()
  }
}

const { toJsError: _internal, CLASS_BY_CODE: _table, ...errorClasses } = errors
module.exports = { PassFort, verifyWebhook, ...errorClasses }
