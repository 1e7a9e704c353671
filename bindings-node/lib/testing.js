'use strict'
// Test aid: the Rust PassFort emulator inside this Node process, on a free port.
// Test data (family name `Fail`, `Error`, `PEP`, `Slow`, ...) is in emulator/README.md.
// Its addon ships apart from `passfort`, in the `passfort-emulator` package
// (a dev dependency), so that production installs carry no emulator.

const path = require('node:path')
const { PassFort } = require('./index.js')
const { InvalidArgumentError } = require('./errors.js')
const { loadAddon } = require('./loader.js')

function emulatorAddon() {
  let home
  try {
    home = path.dirname(require.resolve('passfort-emulator/package.json'))
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error
    const missing = new Error(
      'passfort/testing needs the PassFort emulator, a separate package: npm install --save-dev passfort-emulator (the same version as passfort)',
      { cause: error }
    )
    missing.code = 'PASSFORT_NO_EMULATOR'
    throw missing
  }
  return loadAddon('passfort-emulator', home)
}

const native = emulatorAddon()

/** The addon throws a bad argument with the code `InvalidArg`. */
function jsError(error) {
  return error?.code === 'InvalidArg' ? new InvalidArgumentError(error.message) : error
}

function checked(run) {
  try {
    return run()
  } catch (error) {
    throw jsError(error)
  }
}

class Emulator {
  #native

  constructor(nativeEmulator, apiKey, webhookSecret) {
    this.#native = nativeEmulator
    this.apiKey = apiKey
    this.webhookSecret = webhookSecret
  }

  /** Unset values are the emulator's defaults: apiKey 'test-key', syncTimeoutMs 120000, providerLatencyMs 50. */
  static async start({ apiKey, webhookSecret, syncTimeoutMs, providerLatencyMs } = {}) {
    const started = await native.startEmulator({ apiKey, syncTimeoutMs, providerLatencyMs }).catch((error) => {
      throw jsError(error)
    })
    return new Emulator(started, started.apiKey, webhookSecret)
  }

  /** `http://127.0.0.1:PORT`; the admin API is under `/_emulator`. */
  get url() {
    return this.#native.url
  }

  /** `http://127.0.0.1:PORT/4.0`: a client's base URL. */
  get baseUrl() {
    return this.#native.baseUrl
  }

  /** A client pointed at this emulator. */
  client(options = {}) {
    return new PassFort({ apiKey: this.apiKey, baseUrl: this.baseUrl, webhookSecret: this.webhookSecret, ...options })
  }

  script(profileId, checkType, results, { latencyMs } = {}) {
    checked(() => this.#native.script(profileId, checkType, results, latencyMs))
  }

  fault({ method, path, action, times = 1, status, delayMs, headers }) {
    const rule = { method, path, action, times }
    if (status !== undefined) rule.status = status
    if (delayMs !== undefined) rule.delay_ms = delayMs
    if (headers !== undefined) rule.headers = headers
    return checked(() => this.#native.fault(rule))
  }

  clearFaults() {
    this.#native.clearFaults()
  }

  checks() {
    return this.#native.checks()
  }

  requests() {
    return this.#native.requests()
  }

  webhookDeliveries() {
    return this.#native.webhookDeliveries()
  }

  setWebhook(url, { secret, batching = false } = {}) {
    checked(() => this.#native.setWebhook(url ?? undefined, secret ?? this.webhookSecret, batching))
  }

  configure({ syncTimeoutMs, providerLatencyMs } = {}) {
    checked(() => this.#native.configure(syncTimeoutMs, providerLatencyMs))
  }

  reset() {
    this.#native.reset()
  }

  close() {
    return this.#native.close()
  }
}

module.exports = { Emulator }
