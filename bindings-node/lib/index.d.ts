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
import type {
  EventResolution,
  EventType,
  Operations,
  OperationsWithRawResponse,
  PassFortResponse,
  ProductApplicationStatus,
  ProfileStatus,
  RequestOptions,
  RiskLevelCategory,
} from './operations'

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
  /** How the wait for this check ended: set on the checks `waitForCheck`, `runCheckAndWait` and `runChecks` return. */
  wait?: WaitInfo
  /** The API's JSON, untouched: unknown fields included. */
  raw: { [key: string]: Json }
}

export interface WaitInfo {
  resolvedBy: 'immediately' | 'webhook' | 'polling'
  /** Reads of the check made while waiting. */
  polls: number
  waitedMs: number
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
  collectedData: Json | null
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

/** What `decideApplication` found or did. */
export interface ApplicationDecision {
  outcome: 'approved' | 'rejected' | 'blocked'
  /** The application as last read or written. */
  application: { [key: string]: Json }
  /** Why it is not decided (the application's `approval_blockers`); empty once decided. */
  blockers: Array<{ [key: string]: Json }>
  /** True when this call wrote the status; false when the decision was already taken. */
  written: boolean
}

/** One JSON Patch (RFC 6902) operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: Json }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string }
/** A JSON Merge Patch (RFC 7386; `null` removes a field) or a JSON Patch (RFC 6902). */
export type CollectedDataChange = { [key: string]: Json } | JsonPatchOperation[]

/** What `updateCollectedData` wrote. */
export interface UpdatedCollectedData {
  /** The collected data as PassFort answered the write. */
  data: { [key: string]: Json }
  /** Its ETag, for a later conditional write. */
  etag: string | null
  /** Writes sent: 1 unless another writer came between a read and a write. */
  attempts: number
}

/** `runDocumentCheck`'s document: the image and what it is. */
export interface DocumentCheckRequest {
  /** The image's bytes: JPEG, PNG, GIF, TIFF, WEBP or PDF, at most 4 MiB. */
  image: Buffer | Uint8Array
  /** e.g. 'FRONT'. */
  imageType: 'FRONT' | 'BACK' | 'FACE' | (string & {})
  /** e.g. 'PASSPORT'. */
  documentType: string
  /** Default 'PROOF_OF_IDENTITY'. */
  documentCategory?: string
  taskIds?: string[]
  /** How the check is run (default 'sync'). */
  mode?: CheckMode
}

/** How long `runDocumentCheck` waits for its check. */
export interface DocumentCheckWaitOptions {
  /** The wait's deadline (default 15 minutes). */
  waitTimeoutMs?: number
  pollIntervalMs?: number
  signal?: AbortSignal
}

// The webhook events' enums are the published description's, generated into operations.d.ts.
export type RiskLevel = RiskLevelCategory
/** An application's status in PRODUCT_STATUS_CHANGED. */
export type WebhookProductStatus = ProductApplicationStatus
export type WebhookProfileStatus = ProfileStatus
export type WebhookProfileEventType = EventType
export type WebhookEventResolution = EventResolution

/** The shapes nested in typed events; null where the event does not give a value. */
export interface WebhookProduct {
  id: string
  alias: string | null
  name: string | null
}
export interface WebhookUser {
  id: string | null
  email: string | null
  name: string | null
}
export interface WebhookApiKey {
  name: string | null
}
export interface WebhookCheck {
  id: string
  checkType: CheckType | null
  result: CheckResult | null
  decision: Decision | null
}
export interface WebhookTask {
  id: string
  type: TaskType | null
  state: TaskState | null
  isComplete: boolean | null
}
export interface WebhookProfileEvent {
  id: string
  eventType: WebhookProfileEventType | null
  resolution: WebhookEventResolution | null
}

/** What every webhook event has. `data` is the event's data, whole, as sent. */
export interface WebhookEventBase {
  id: string
  /** As sent, e.g. 'CHECK_COMPLETED'. */
  event: string
  timestamp?: number
  data: Json
  /** False for an event passed through (see `UnknownWebhookEvent`): narrow on it before `event`. */
  known: boolean
  profileId?: string
  checkId?: string
  taskId?: string
  checkType?: CheckType
  result?: CheckResult
  decision?: Decision
  taskType?: TaskType
  taskState?: TaskState
  customerRef?: string | null
}

/** An event type in PassFort's list, with its typed fields. */
export interface KnownWebhookEventOf<E extends string> extends WebhookEventBase {
  known: true
  event: E
  profileId: string
  customerRef: string | null
}

export interface ProductStatusChangedEvent extends KnownWebhookEventOf<'PRODUCT_STATUS_CHANGED'> {
  applicationId: string | null
  newStatus: WebhookProductStatus | null
  product: WebhookProduct | null
  /** null when the smart policy made the change. */
  user: WebhookUser | null
  apikey: WebhookApiKey | null
}
export interface TaskCreatedEvent extends KnownWebhookEventOf<'TASK_CREATED'> {
  task: WebhookTask
}
export interface CheckCompletedEvent extends KnownWebhookEventOf<'CHECK_COMPLETED'> {
  check: WebhookCheck
  checkId: string
}
/** No data beyond the profile is published. */
export interface ProductBadgeChangedEvent extends KnownWebhookEventOf<'PRODUCT_BADGE_CHANGED'> {}
export interface RiskLevelChangedEvent extends KnownWebhookEventOf<'RISK_LEVEL_CHANGED'> {
  newRiskLevel: RiskLevel | null
  oldRiskLevel: RiskLevel | null
}
export interface RiskScoreChangedEvent extends KnownWebhookEventOf<'RISK_SCORE_CHANGED'> {
  newRiskScore: number | null
  oldRiskScore: number | null
}
export interface TaskStateChangedEvent extends KnownWebhookEventOf<'TASK_STATE_CHANGED'> {
  task: WebhookTask
}
/** Deprecated by PassFort: COLLECTED_DATA_CHANGED replaces it. */
export interface CollectedDataUpdatedEvent extends KnownWebhookEventOf<'COLLECTED_DATA_UPDATED'> {}
export interface CollectedDataChangedEvent extends KnownWebhookEventOf<'COLLECTED_DATA_CHANGED'> {}
export interface FormStateChangedEvent extends KnownWebhookEventOf<'FORM_STATE_CHANGED'> {}
export interface ManualActionRequiredEvent extends KnownWebhookEventOf<'MANUAL_ACTION_REQUIRED'> {
  applicationId: string | null
  product: WebhookProduct | null
  /** The check that made it so, when a check did. */
  check: WebhookCheck | null
}
export interface CustomerRequestChangedEvent extends KnownWebhookEventOf<'CUSTOMER_REQUEST_CHANGED'> {}
export interface EventsCreatedEvent extends KnownWebhookEventOf<'EVENTS_CREATED'> {
  events: WebhookProfileEvent[]
}
export interface EventsUpdatedEvent extends KnownWebhookEventOf<'EVENTS_UPDATED'> {
  events: WebhookProfileEvent[]
}
/** Deprecated by PassFort. */
export interface ProfileStatusChangedEvent extends KnownWebhookEventOf<'PROFILE_STATUS_CHANGED'> {
  newStatus: WebhookProfileStatus | null
}
/** Deprecated by PassFort. */
export interface TaskIsCompleteChangedEvent extends KnownWebhookEventOf<'TASK_IS_COMPLETE_CHANGED'> {
  task: WebhookTask
}
/** Deprecated by PassFort. */
export interface CollectionStepsCompletedEvent extends KnownWebhookEventOf<'COLLECTION_STEPS_COMPLETED'> {}

/** An event name this version does not know, or a known one whose data lacks what identifies it. */
export interface UnknownWebhookEvent extends WebhookEventBase {
  known: false
}

export type KnownWebhookEvent =
  | ProductStatusChangedEvent
  | TaskCreatedEvent
  | CheckCompletedEvent
  | ProductBadgeChangedEvent
  | RiskLevelChangedEvent
  | RiskScoreChangedEvent
  | TaskStateChangedEvent
  | CollectedDataUpdatedEvent
  | CollectedDataChangedEvent
  | FormStateChangedEvent
  | ManualActionRequiredEvent
  | CustomerRequestChangedEvent
  | EventsCreatedEvent
  | EventsUpdatedEvent
  | ProfileStatusChangedEvent
  | TaskIsCompleteChangedEvent
  | CollectionStepsCompletedEvent

/** A verified webhook event: narrow on `known`, then on `event`. */
export type WebhookEvent = KnownWebhookEvent | UnknownWebhookEvent

export interface WhoAmI {
  auditeeName?: string
  institution?: { id?: string; name?: string; logoUrl?: string }
  user?: Json
  raw: { [key: string]: Json }
}

/** Every option left undefined takes the core's default; the core checks every range. */
export interface PassFortOptions {
  /** Falls back to PASSFORT_API_KEY. */
  apiKey?: string
  /** Falls back to PASSFORT_BASE_URL, then https://api.passfort.com/4.0. */
  baseUrl?: string
  /** One request, start to end (default 30000). */
  timeoutMs?: number
  /** Making a connection (default 10000). */
  connectTimeoutMs?: number
  /** For sync check runs (default 150000): longer than PassFort's 120 s switch to async. */
  syncTimeoutMs?: number
  /** Retries of a failed request (default 2). */
  maxRetries?: number
  /** The longest Retry-After wait honoured before a rate limit is surfaced as RateLimitError (default 60000). */
  maxRetryWaitMs?: number
  webhookSecret?: string
  /** How far a webhook's timestamp may be from now (default 300000). */
  webhookToleranceMs?: number
  /** Requests in flight at once (default 256); more wait for one to finish. */
  maxConnections?: number
  /** Allows a plain http:// base URL for a host other than loopback (default false). */
  allowInsecureHttp?: boolean
  /** Puts the start of an undecodable answer's body in errors' `bodySnippet` (default false: bodies hold personal data). For debugging. */
  includeBodySnippets?: boolean
  /** An http:// or https:// proxy URL (credentials allowed) for every request, instead of HTTPS_PROXY/HTTP_PROXY/NO_PROXY. */
  proxy?: string
  /** A PEM file of root certificates trusted on top of the system's trust store. */
  caBundle?: string
  /**
   * Makes the client a worker of a fleet sharing this Redis (`redis://[:password@]host:port/db` or `unix://`):
   * webhooks fan out to every worker, events are de-duplicated fleet-wide (`webhooks.handleAsync`), creations share
   * one rate budget and waited-for checks are leased so that `recover()` hands a dead worker's checks over.
   * Falls back to PASSFORT_REDIS_URL; neither: no fleet. The password never appears in errors or logs.
   */
  redisUrl?: string
  /** A fleet worker's lease on each check it waits for, renewed every third of it (default 30000, 200 to 3600000). */
  fleetLeaseMs?: number
  /** Creations (POST /profiles, POST .../collected_data) an hour, per endpoint, for the whole fleet (default in a fleet: 10000). */
  rateBudgetPerHour?: number
  /** Of which may go at once (default in a fleet: 50). */
  rateBudgetBurst?: number
}

export interface CheckRequest {
  checkType: CheckType
  taskIds?: string[]
  variantAlias?: string
  variantId?: string
  /** Type-specific fields, e.g. `{ document_id }` for DOCUMENT_VERIFICATION; sent as JSON. */
  fields?: { [key: string]: Json }
  /** Undefined: PassFort's default for `runCheck` (identity checks sync, others async), 'sync' for `runCheckAndWait`. */
  mode?: CheckMode
  /** Your reference for the check (≤ 256 bytes, no control characters), kept in the fleet's ledger and given back by `recover()`; never sent to PassFort. */
  tag?: string
}

/** `runCheckAndWait`'s one options object: the check, and how long to wait for it. */
export interface RunCheckAndWaitOptions extends CheckRequest {
  /** The wait's deadline (default 15 minutes); not the client's per-request `timeoutMs`. */
  waitTimeoutMs?: number
  /** @deprecated The old name of `waitTimeoutMs`. */
  timeoutMs?: number
  /** A fixed interval between reads, instead of the default backoff. */
  pollIntervalMs?: number
  /** Aborting it rejects the call and stops the waiting in the core. */
  signal?: AbortSignal
}

export interface WaitOptions {
  /** The wait's deadline (default 15 minutes); not the client's per-request `timeoutMs`. */
  waitTimeoutMs?: number
  /** @deprecated The old name of `waitTimeoutMs`. */
  timeoutMs?: number
  pollIntervalMs?: number
  signal?: AbortSignal
}

export interface VerifyTaskOptions {
  checkType: CheckType
  variantAlias?: string
  variantId?: string
  /** Type-specific fields of each check run; sent as JSON. */
  fields?: { [key: string]: Json }
  maxFailures?: number
  mode?: CheckMode
  /** The wait's deadline (default 15 minutes); not the client's per-request `timeoutMs`. */
  waitTimeoutMs?: number
  /** @deprecated The old name of `waitTimeoutMs`. */
  timeoutMs?: number
  /** As `CheckRequest.tag`, for each check run. */
  tag?: string
  signal?: AbortSignal
}

/** One check of a batch. */
export interface BatchCheckRequest {
  profileId: string
  checkType: CheckType
  taskIds?: string[]
  variantAlias?: string
  variantId?: string
  fields?: { [key: string]: Json }
  /** As `CheckRequest.tag`. */
  tag?: string
}

/** One task of a batch of verifications. */
export interface BatchTaskRequest {
  profileId: string
  taskId: string
  checkType: CheckType
  variantAlias?: string
  variantId?: string
  fields?: { [key: string]: Json }
  /** As `CheckRequest.tag`. */
  tag?: string
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
  /** The wait's deadline (default 15 minutes); not the client's per-request `timeoutMs`. */
  waitTimeoutMs?: number
  /** @deprecated The old name of `waitTimeoutMs`. */
  timeoutMs?: number
  onProgress?: (progress: BatchProgress) => void
  /** Aborting it cancels the whole batch. */
  signal?: AbortSignal
}

export type BatchItem<Request, Key extends string, Result> =
  | ({ ok: true; request: Request } & { [K in Key]: Result })
  | { ok: false; request: Request; error: Error }

/** What a fleet's ledger knew of a check `recover()` took over. */
export interface RecoveredCheckEntry {
  profileId: string
  checkId: string
  checkType: CheckType
  taskIds: string[]
  /** The `tag` given when the check was started, or null. */
  tag: string | null
  /** The worker that started (or last took over) the check and stopped renewing its lease. */
  previousOwner: string
}

/** A check `recover()` took over: finished (`ok`), or the error that ended the wait (it stays in the ledger, to be recovered again). */
export type RecoveredCheck = (RecoveredCheckEntry & { ok: true; check: Check }) | (RecoveredCheckEntry & { ok: false; error: Error })

export interface RecoverOptions {
  /** The wait for each check taken over (default 15 minutes). */
  waitTimeoutMs?: number
  /** @deprecated The old name of `waitTimeoutMs`. */
  timeoutMs?: number
  pollIntervalMs?: number
  signal?: AbortSignal
}

export type WebhookHeaders =
  | Record<string, string | string[] | undefined>
  | Iterable<[string, string]>
  | { entries(): Iterable<[string, string]> }

export interface WebhookServer {
  /** The URL to give PassFort. */
  url: string
  close(): Promise<void>
}

/** `client.webhooks`: an interface, as the class behind it is not exported. */
export interface Webhooks {
  /** Verifies a delivery, drops duplicates, wakes waiters, returns the new events. */
  /** With `{ acknowledge: false }` the events are marked seen only by `acknowledge(ids)`. */
  handle(rawBody: Buffer | string, headers: WebhookHeaders, options?: { acknowledge?: boolean }): WebhookEvent[]
  /** Marks events handled: a redelivery of them is then a duplicate. */
  acknowledge(eventIds: Iterable<string>): void
  /** As `handle`, de-duplicated across the fleet (each event returned to one caller in the fleet); without a fleet, as `handle`. */
  handleAsync(rawBody: Buffer | string, headers: WebhookHeaders, options?: { acknowledge?: boolean }): Promise<WebhookEvent[]>
  /** As `acknowledge`, across the fleet. */
  acknowledgeAsync(eventIds: Iterable<string>): Promise<void>
  /** The built-in listener; it keeps the process alive until closed. */
  serve(options?: { host?: string; port?: number; path?: string }): Promise<WebhookServer>
}

export type { CallOptions, JsonObject, OperationOptions, Operations, OperationsWithRawResponse, PassFortResponse, QueryValue, RequestOptions } from './operations'
// The generated types of the bodies and answers people branch on (every one is in './operations').
export type {
  Application,
  AuditItem,
  CheckResource,
  CollectionStep,
  DocumentImage,
  EntityData,
  EventResolution,
  FileResource,
  Note,
  ProductApplicationStatus,
  ProfileEvent,
  ProfileResource,
  ProfileStatus,
  Tag,
  TaskResource,
} from './operations'

/** Every operation of the API, by resource (`client.applications.create(profileId, body)`), generated from the core's table. */
export interface PassFort extends Operations {}

export declare class PassFort {
  constructor(options?: PassFortOptions)
  readonly baseUrl: string
  readonly webhooks: Webhooks
  /** This worker's id in the fleet, or null without a fleet. */
  readonly workerId: string | null
  /** Whether this client is a worker of a fleet (`redisUrl` or PASSFORT_REDIS_URL). */
  readonly inFleet: boolean
  /** Whether this worker hears the fleet's webhooks now (its Redis subscription is live). */
  readonly fleetSubscribed: boolean
  /**
   * Takes over the checks of workers that stopped (leases expired), each handed to exactly one caller in the fleet,
   * waits for each and gives each back once. Rejects with ConfigurationError without a fleet, APIConnectionError
   * while Redis is unreachable (nothing taken).
   */
  recover(options?: RecoverOptions): Promise<RecoveredCheck[]>
  /** The same namespaces, answering the response with its metadata (status, headers, request id, Etag, rate limits, raw body). */
  readonly withRawResponse: OperationsWithRawResponse
  /** Any request, `path` relative to the base URL, with the client's authentication, retries and errors. */
  request(method: string, path: string, options?: RequestOptions): Promise<PassFortResponse>
  whoami(): Promise<WhoAmI>
  createProfile(role: Role, collectedData?: { [key: string]: Json }): Promise<Profile>
  getProfile(profileId: string): Promise<Profile>
  listProfiles(options?: { query?: string; pageSize?: number }): AsyncIterable<Profile>
  runCheck(profileId: string, check: CheckRequest): Promise<Check>
  getCheck(profileId: string, checkId: string): Promise<Check>
  listChecks(profileId: string): Promise<Check[]>
  waitForCheck(profileId: string, checkId: string, options?: WaitOptions): Promise<Check>
  /** Runs a check and waits for it to finish, however PassFort answers (sync, switched to async, or async). */
  runCheckAndWait(profileId: string, options: RunCheckAndWaitOptions): Promise<Check>
  /** @deprecated Put `waitTimeoutMs` and `signal` in the first options object. */
  runCheckAndWait(profileId: string, check: CheckRequest, waitOptions: { waitTimeoutMs?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<Check>
  getTask(profileId: string, taskId: string): Promise<Task>
  listTasks(profileId: string): Promise<Task[]>
  completeTask(profileId: string, taskId: string, state: 'COMPLETED_PASS' | 'COMPLETED_FAIL'): Promise<Task>
  verifyTask(profileId: string, taskId: string, options: VerifyTaskOptions): Promise<VerifyOutcome>
  /** Approves the application when every task it needs is COMPLETED_PASS, rejects it when one is COMPLETED_FAIL, else reports the blockers; taken once. */
  decideApplication(profileId: string, applicationId: string, options?: { signal?: AbortSignal }): Promise<ApplicationDecision>
  /**
   * Changes the profile's collected data without losing another writer's change: reads it with its ETag, applies
   * `change`, writes it with If-Match, and on a 412 applies `change` again to the data as it is now (at most
   * `maxAttempts` writes, default 5; then UpdateConflictError). `change` is a JSON Merge Patch (an object) or a JSON
   * Patch (an array of operations; a `test` that does not hold rejects with PatchFailedError, writing nothing).
   */
  updateCollectedData(profileId: string, change: CollectedDataChange, options?: { maxAttempts?: number; signal?: AbortSignal }): Promise<UpdatedCollectedData>
  /** Uploads the image, adds a document naming it, runs DOCUMENT_VERIFICATION with its `document_id` and waits. */
  runDocumentCheck(profileId: string, document: DocumentCheckRequest, options?: DocumentCheckWaitOptions): Promise<Check>
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
  /** Stops the webhook listeners this client started and closes its connections now; later calls reject with ClientClosedError. */
  close(): Promise<void>
}

export declare function verifyWebhook(rawBody: Buffer | string, headers: WebhookHeaders, secret: string): WebhookEvent[]

export declare class PassFortError extends Error {
  /** The core's stable name for the kind of error (e.g. 'not_found'), the same in Python, Node and Rust. */
  code: string
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
/** A write that must not be sent twice lost its answer after it may have reached PassFort; it was not resent. */
export declare class AmbiguousCreationError extends PassFortError {
  /** The operation's name in the core's table, e.g. 'create_application'. */
  operation: string
  profileId: string | null
  /** What to look for before sending it again. */
  lookFor: string
  sentAt: Date | null
}
/** A safe collected-data update met another writer's change (a 412) before each of its `attempts` writes; nothing of it was written. */
export declare class UpdateConflictError extends ConflictError {
  profileId: string
  attempts: number
}
/** A collected-data change did not apply to the data as it is: the JSON Patch operation at `index` failed its test (`testFailed`) or names a path the data does not allow. Nothing was written. */
export declare class PatchFailedError extends PassFortError {
  profileId: string
  index: number
  op: string
  path: string
  testFailed: boolean
}
export declare class WebhookVerificationError extends PassFortError {
  reason: 'unauthorized' | 'malformed' | 'too_large' | 'expired' | (string & {})
}
/** A 3xx answer (from a proxy, say): not followed, so neither the API key nor a body goes elsewhere. */
export declare class RedirectError extends PassFortError {
  status: number
  /** Where the redirect pointed (the host only), when it said. */
  targetHost: string | null
}
/** The client was closed with `close()`. */
export declare class ClientClosedError extends PassFortError {}
/** A bad argument, caught before any request was sent: a TypeError, as Node's own argument errors are. */
export declare class InvalidArgumentError extends TypeError {
  code: 'invalid_argument'
  mayHaveReachedServer: false
}
/** The old name of `CheckWaitTimeoutError`. */
export declare const CheckWaitTimeout: typeof CheckWaitTimeoutError
export type CheckWaitTimeout = CheckWaitTimeoutError
export declare class AbortError extends Error {
  name: 'AbortError'
  code: 'ABORT_ERR'
}

// No default export here: `require('passfort')` has none. `import PassFort
// from 'passfort'` (ESM, lib/index.mjs) is typed by index.d.mts.
