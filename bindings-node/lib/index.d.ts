// Types of the `passfort` package. String unions list the values this
// version knows and still accept any other string PassFort may send.

type Open<T extends string> = T | (string & {})

export type CheckState = Open<'PENDING' | 'RUNNING' | 'COMPLETE'>
export type Decision = Open<'PASS' | 'FAIL' | 'PARTIAL' | 'WARN' | 'ERROR'>
export type CheckType = Open<
  | 'IDENTITY_CHECK'
  | 'DOCUMENT_VERIFICATION'
  | 'DOCUMENT_FETCH'
  | 'PEPS_AND_SANCTIONS_SCREEN'
  | 'CRA_BANK_ACCOUNT_VERIFICATION'
  | 'COMPANY_REGISTRY'
  | 'COMPANY_CHARITIES_REGISTRY'
  | 'COMPANY_OWNERSHIP'
  | 'COMPANY_FILINGS'
  | 'COMPANY_FILING_PURCHASE'
  | 'COMPANY_PEPS_AND_SANCTIONS_SCREEN'
  | 'INDIVIDUAL_MANUAL_FORM'
  | 'COMPANY_MANUAL_FORM'
  | 'COMPANY_DOCUMENT_VERIFICATION'
>
export type CheckResult = Open<'2+2' | '1+1' | 'Pass' | 'Fail' | 'Refer' | 'PEP' | 'Sanction' | 'Media' | 'Partial' | 'Error'>
export type TaskState = Open<'INCOMPLETE' | 'COMPLETED_PASS' | 'COMPLETED_FAIL'>
export type TaskType = Open<
  | 'INDIVIDUAL_VERIFY_IDENTITY'
  | 'INDIVIDUAL_VERIFY_ADDRESS'
  | 'INDIVIDUAL_VERIFY_SOURCE_OF_FUNDS'
  | 'INDIVIDUAL_ASSESS_MEDIA_AND_POLITICAL_AND_SANCTIONS_EXPOSURE'
  | 'INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE'
  | 'INDIVIDUAL_ASSESS_POLITICAL_EXPOSURE'
  | 'INDIVIDUAL_ASSESS_SANCTIONS_EXPOSURE'
  | 'INDIVIDUAL_VERIFY_BANK_ACCOUNT'
  | 'INDIVIDUAL_MANUAL_TASK'
  | 'COMPANY_VERIFY_IDENTITY'
  | 'COMPANY_VERIFY_CHARITY'
  | 'COMPANY_IDENTIFY_AUTHORIZED_PERSONS'
  | 'COMPANY_IDENTIFY_OFFICERS'
  | 'COMPANY_IDENTIFY_TRUSTEES'
  | 'COMPANY_IDENTIFY_BENEFICIAL_OWNERS'
  | 'COMPANY_REVIEW_FILINGS'
  | 'COMPANY_ASSESS_SANCTIONS_EXPOSURE'
  | 'COMPANY_ASSESS_MEDIA_EXPOSURE'
  | 'COMPANY_ASSESS_MEDIA_AND_SANCTIONS_EXPOSURE'
  | 'COMPANY_MANUAL_TASK'
  | 'COMPANY_VERIFY_BANK_ACCOUNT'
  | 'COMPANY_VERIFY_TAX_STATUS'
>
export type Role = Open<'INDIVIDUAL_CUSTOMER' | 'INDIVIDUAL_ASSOCIATED' | 'COMPANY_CUSTOMER' | 'COMPANY_ASSOCIATED'>
export type CheckMode = 'sync' | 'async' | 'server_default'
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface ErrorDetail {
  code?: number
  codeName?: string
  message: string
  source?: Open<'ENGINE' | 'API' | 'PROVIDER'>
  info?: Json
}

export interface Variant {
  id?: string
  alias?: string
  name?: string
  taskType?: TaskType
}

export interface Check {
  id: string
  checkType: CheckType
  state: CheckState
  result?: CheckResult
  decision?: Decision
  errors: ErrorDetail[]
  taskIds: string[]
  variant?: Variant
  providers: Json
  inputData?: Json
  outputData?: Json
  instructedOn?: Date
  startedOn?: Date
  completedOn?: Date
  performedOn?: Date
  isComplete: boolean
  /** The API's JSON, untouched: unknown fields included. */
  raw: { [key: string]: Json }
}

export interface Task {
  id: string
  type: TaskType
  state: TaskState
  isComplete: boolean
  isExpired: boolean
  isSkipped: boolean
  creationDate?: Date
  expiryDate?: Date
  checkIds: string[]
  formInstanceIds: string[]
  variant?: Variant
  raw: { [key: string]: Json }
}

export interface Profile {
  id: string
  role: Role
  displayName?: string
  customerRef?: string
  creationDate?: Date
  collectedData: Json
  checks: Check[]
  tasks: Task[]
  raw: { [key: string]: Json }
}

export interface VerifyOutcome {
  /** Every check run, in order. */
  checks: Check[]
  /** The completed task; undefined when it was left for a person. */
  task?: Task
  stop: 'passed' | 'failed' | 'needs_review'
  needsReview: boolean
  reason: string
}

export interface WebhookEvent {
  id: string
  /** As sent, e.g. 'CHECK_COMPLETED'. */
  event: string
  timestamp?: number
  data: Json
  profileId?: string
  checkId?: string
  taskId?: string
  result?: CheckResult
  customerRef?: string
}

export interface WhoAmI {
  auditeeName?: string
  institution?: { id?: string; name?: string; logoUrl?: string }
  user?: Json
  raw: { [key: string]: Json }
}

export interface PassFortOptions {
  /** Falls back to PASSFORT_API_KEY. */
  apiKey?: string
  /** Falls back to PASSFORT_BASE_URL, then https://api.passfort.com/4.0. */
  baseUrl?: string
  timeoutMs?: number
  /** For sync check runs: longer than PassFort's 120 s switch to async. */
  syncTimeoutMs?: number
  maxRetries?: number
  webhookSecret?: string
  /** Requests in flight at once (default 256); more wait for one to finish. */
  maxConnections?: number
}

export interface CheckRequest {
  checkType: CheckType
  taskIds?: string[]
  variantAlias?: string
  variantId?: string
  /** Undefined: PassFort's default (identity checks sync, others async). */
  mode?: CheckMode
}

export interface WaitOptions {
  timeoutMs?: number
  pollIntervalMs?: number
  signal?: AbortSignal
}

export interface VerifyTaskOptions {
  checkType: CheckType
  variantAlias?: string
  variantId?: string
  maxFailures?: number
  timeoutMs?: number
  signal?: AbortSignal
}

/** One check of a batch. */
export interface BatchCheckRequest {
  profileId: string
  checkType: CheckType
  taskIds?: string[]
  variantAlias?: string
  variantId?: string
}

/** One task of a batch of verifications. */
export interface BatchTaskRequest {
  profileId: string
  taskId: string
  checkType: CheckType
  variantAlias?: string
  variantId?: string
}

export interface BatchProgress {
  /** Items finished, with a result or an error. */
  done: number
  total: number
  /** Items that ended in an error. */
  failed: number
}

export interface BatchOptions {
  /** Items in flight at once (default 8). */
  concurrency?: number
  timeoutMs?: number
  onProgress?: (progress: BatchProgress) => void
  /** Aborting it cancels the whole batch. */
  signal?: AbortSignal
}

export type BatchItem<Request, Key extends string, Result> =
  | ({ ok: true; request: Request } & { [K in Key]: Result })
  | { ok: false; request: Request; error: Error }

export type WebhookHeaders =
  | Record<string, string | string[] | undefined>
  | Iterable<[string, string]>
  | { entries(): Iterable<[string, string]> }

export interface WebhookServer {
  /** The URL to give PassFort. */
  url: string
  close(): Promise<void>
}

export declare class Webhooks {
  /** Verifies a delivery, drops duplicates, wakes waiters, returns the new events. */
  handle(rawBody: Buffer | string, headers: WebhookHeaders): WebhookEvent[]
  /** The built-in listener; it keeps the process alive until closed. */
  serve(options?: { host?: string; port?: number; path?: string }): Promise<WebhookServer>
}

export declare class PassFort {
  constructor(options?: PassFortOptions)
  readonly baseUrl: string
  readonly webhooks: Webhooks
  whoami(): Promise<WhoAmI>
  createProfile(role: Role, collectedData?: { [key: string]: Json }): Promise<Profile>
  getProfile(profileId: string): Promise<Profile>
  listProfiles(options?: { query?: string; pageSize?: number }): AsyncIterable<Profile>
  runCheck(profileId: string, check: CheckRequest): Promise<Check>
  getCheck(profileId: string, checkId: string): Promise<Check>
  listChecks(profileId: string): Promise<Check[]>
  waitForCheck(profileId: string, checkId: string, options?: WaitOptions): Promise<Check>
  runCheckAndWait(profileId: string, check: CheckRequest, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Check>
  getTask(profileId: string, taskId: string): Promise<Task>
  listTasks(profileId: string): Promise<Task[]>
  completeTask(profileId: string, taskId: string, state: 'COMPLETED_PASS' | 'COMPLETED_FAIL'): Promise<Task>
  verifyTask(profileId: string, taskId: string, options: VerifyTaskOptions): Promise<VerifyOutcome>
  /** Runs every check and waits for each; one item per request, in input order. */
  runChecks(
    requests: Iterable<BatchCheckRequest>,
    options?: BatchOptions & { mode?: CheckMode },
  ): Promise<Array<BatchItem<BatchCheckRequest, 'check', Check>>>
  /** `verifyTask` for every request; one item per request, in input order. */
  verifyTasks(
    requests: Iterable<BatchTaskRequest>,
    options?: BatchOptions & { maxFailures?: number },
  ): Promise<Array<BatchItem<BatchTaskRequest, 'outcome', VerifyOutcome>>>
  /** Stops the webhook listeners this client started. */
  close(): Promise<void>
}

export declare function verifyWebhook(rawBody: Buffer | string, headers: WebhookHeaders, secret: string): WebhookEvent[]

export declare class PassFortError extends Error {
  /** True when the failed request may still have had an effect at PassFort: look before you retry. */
  mayHaveReachedServer: boolean
}
export declare class ConfigurationError extends PassFortError {}
export declare class APIError extends PassFortError {
  status: number
  errors: ErrorDetail[]
  requestId: string | null
  bodySnippet: string | null
}
export declare class BadRequestError extends APIError {}
export declare class AuthenticationError extends APIError {}
export declare class NotFoundError extends APIError {}
export declare class ConflictError extends APIError {}
export declare class RateLimitError extends APIError {
  retryAfterMs: number | null
}
export declare class ServerError extends APIError {}
export declare class APIConnectionError extends PassFortError {}
export declare class APITimeoutError extends APIConnectionError {}
export declare class ResponseDecodeError extends PassFortError {
  status: number
  bodySnippet: string | null
}
export declare class CheckWaitTimeoutError extends PassFortError {
  profileId: string
  checkId: string
  lastState: CheckState | null
  waitedMs: number
}
/** A check creation's answer was lost and PassFort's checks could not be read to tell whether it was created. */
export declare class AmbiguousCheckError extends PassFortError {
  profileId: string
  checkType: CheckType
  taskIds: string[]
  sentAt: Date | null
}
export declare class WebhookVerificationError extends PassFortError {
  reason: 'unauthorized' | 'malformed' | 'too_large' | 'expired' | (string & {})
}
export declare class AbortError extends Error {
  name: 'AbortError'
  code: 'ABORT_ERR'
}

export default PassFort
