import passfort from './index.js'

export const {
  PassFort,
  verifyWebhook,
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
  CheckWaitTimeout,
  AmbiguousCheckError,
  AmbiguousCreationError,
  WebhookVerificationError,
  RedirectError,
  ClientClosedError,
  InvalidArgumentError,
  AbortError,
} = passfort
export default PassFort
