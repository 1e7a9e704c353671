'use strict'
// The error classes of the package. Native rejections carry
// `PASSFORT_ERROR:<json>` (see bindings-node/src/errors.rs); toJsError turns
// them into these classes so that `instanceof` works.

const PREFIX = 'PASSFORT_ERROR:'

class PassFortError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined)
    this.name = new.target.name
    /** The core's stable name for the kind of error, the same in Python, Node and Rust. */
    this.code = fields.code ?? 'passfort'
    /** True when a failed request may still have had an effect at PassFort: look before you retry. */
    this.mayHaveReachedServer = Boolean(fields.mayHaveReachedServer)
  }
}

class ConfigurationError extends PassFortError {}

class APIError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.status = fields.status ?? 0
    this.errors = fields.errors ?? []
    this.requestId = fields.requestId ?? null
    this.bodySnippet = fields.bodySnippet ?? null
  }
}

class BadRequestError extends APIError {}
class AuthenticationError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class ServerError extends APIError {}

class RateLimitError extends APIError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.retryAfterMs = fields.retryAfterMs ?? null
  }
}

class APIConnectionError extends PassFortError {}

/** A 3xx answer (from a proxy, say): not followed, so neither the API key nor a body goes elsewhere. */
class RedirectError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.status = fields.status ?? 0
    this.targetHost = fields.targetHost ?? null
  }
}

/** The client was closed with close(). */
class ClientClosedError extends PassFortError {}

/** A bad argument, caught before any request was sent: a TypeError, as Node's own argument errors are. */
class InvalidArgumentError extends TypeError {
  constructor(message) {
    super(message)
    this.name = 'InvalidArgumentError'
    this.code = 'invalid_argument'
    this.mayHaveReachedServer = false
  }
}
class APITimeoutError extends APIConnectionError {}

class ResponseDecodeError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.status = fields.status ?? 0
    this.bodySnippet = fields.bodySnippet ?? null
  }
}

class CheckWaitTimeoutError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.profileId = fields.profileId
    this.checkId = fields.checkId
    this.lastState = fields.lastState ?? null
    this.waitedMs = fields.waitedMs ?? 0
  }
}

class AmbiguousCheckError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, { mayHaveReachedServer: true, ...fields })
    this.profileId = fields.profileId
    this.checkType = fields.checkType
    this.taskIds = fields.taskIds ?? []
    this.sentAt = fields.sentAt ? new Date(fields.sentAt) : null
  }
}

class AmbiguousCreationError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, { mayHaveReachedServer: true, ...fields })
    this.operation = fields.operation ?? ''
    this.profileId = fields.profileId ?? null
    this.lookFor = fields.lookFor ?? ''
    this.sentAt = fields.sentAt ? new Date(fields.sentAt) : null
  }
}

/** A safe collected-data update met another writer's change (a 412) before each of its `attempts` writes; nothing of it was written. */
class UpdateConflictError extends ConflictError {
  constructor(message, fields = {}) {
    super(message, { status: 412, ...fields })
    this.profileId = fields.profileId ?? ''
    this.attempts = fields.attempts ?? 0
  }
}

/** A collected-data change did not apply to the data as it is (a JSON Patch `test` failed, or a path the data does not allow); nothing was written. */
class PatchFailedError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.profileId = fields.profileId ?? ''
    this.index = fields.index ?? 0
    this.op = fields.op ?? ''
    this.path = fields.path ?? ''
    this.testFailed = Boolean(fields.testFailed)
  }
}

class WebhookVerificationError extends PassFortError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.reason = fields.reason ?? ''
  }
}

class AbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message)
    this.name = 'AbortError'
    this.code = 'ABORT_ERR'
  }
}

const classes = {
  PassFortError,
  ConfigurationError,
  APIError,
  BadRequestError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  APIConnectionError,
  APITimeoutError,
  ResponseDecodeError,
  CheckWaitTimeoutError,
  AmbiguousCheckError,
  AmbiguousCreationError,
  UpdateConflictError,
  PatchFailedError,
  WebhookVerificationError,
  RedirectError,
  ClientClosedError,
  InvalidArgumentError,
}

/** The class for each of the core's error codes (`errorCodes()` of the addon; a test checks they match). */
const CLASS_BY_CODE = {
  bad_request: BadRequestError,
  authentication: AuthenticationError,
  not_found: NotFoundError,
  conflict: ConflictError,
  rate_limited: RateLimitError,
  server: ServerError,
  api: APIError,
  timeout: APITimeoutError,
  connection: APIConnectionError,
  decode: ResponseDecodeError,
  redirect: RedirectError,
  invalid_argument: InvalidArgumentError,
  configuration: ConfigurationError,
  wait_timeout: CheckWaitTimeoutError,
  ambiguous_check_creation: AmbiguousCheckError,
  ambiguous_creation: AmbiguousCreationError,
  update_conflict: UpdateConflictError,
  patch_failed: PatchFailedError,
  webhook: WebhookVerificationError,
  closed: ClientClosedError,
}

/** napi-rs statuses for a JS value of the wrong type: these are TypeErrors, not plain Errors. */
const WRONG_TYPE = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected', 'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected', 'ArrayBufferExpected'])

/** Node's own error codes for the core's causes, so `error.cause.code === 'ECONNREFUSED'` works. */
const CAUSE_CODES = {
  connection_refused: 'ECONNREFUSED',
  connection_reset: 'ECONNRESET',
  connection_aborted: 'ECONNABORTED',
  timed_out: 'ETIMEDOUT',
  host_not_found: 'ENOTFOUND',
  tls: 'ERR_TLS_CERT',
  other: 'EIO',
}

/** The underlying failure as an Error with Node's code, for `cause`. */
function causeError({ kind, message }) {
  const cause = new Error(message)
  cause.code = CAUSE_CODES[kind] ?? 'EIO'
  return cause
}

/** The package's error for a native rejection; anything else unchanged. */
function toJsError(error) {
  const message = error && typeof error.message === 'string' ? error.message : ''
  if (!message.startsWith(PREFIX)) {
    if (error && WRONG_TYPE.has(error.code) && !(error instanceof TypeError)) return new InvalidArgumentError(message)
    return error
  }
  const fields = JSON.parse(message.slice(PREFIX.length))
  if (fields.cause) fields.cause = causeError(fields.cause)
  if (fields.code === 'aborted') return new AbortError(fields.message)
  if (fields.code === 'invalid_argument') return new InvalidArgumentError(fields.message)
  const ErrorClass = CLASS_BY_CODE[fields.code] ?? PassFortError
  return new ErrorClass(fields.message, fields)
}

module.exports = { ...classes, CheckWaitTimeout: CheckWaitTimeoutError, AbortError, toJsError, CLASS_BY_CODE }
