'use strict'
// The error classes of the package. Native rejections carry
// `PASSFORT_ERROR:<json>` (see bindings-node/src/errors.rs); toJsError turns
// them into these classes so that `instanceof` works.

const PREFIX = 'PASSFORT_ERROR:'

class PassFortError extends Error {
  constructor(message, fields = {}) {
    super(message)
    this.name = new.target.name
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
  WebhookVerificationError,
}

/** The package's error for a native rejection; anything else unchanged. */
function toJsError(error) {
  const message = error && typeof error.message === 'string' ? error.message : ''
  if (!message.startsWith(PREFIX)) return error
  const fields = JSON.parse(message.slice(PREFIX.length))
  if (fields.name === 'TypeError') return new TypeError(fields.message)
  if (fields.name === 'AbortError') return new AbortError(fields.message)
  const ErrorClass = classes[fields.name] ?? PassFortError
  return new ErrorClass(fields.message, fields)
}

module.exports = { ...classes, AbortError, toJsError }
