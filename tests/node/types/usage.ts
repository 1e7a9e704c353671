// Type test of the declared API (lib/index.d.ts, lib/testing.d.ts): every
// exported class and method used once with the right types, and a few wrong
// calls that must not compile (`@ts-expect-error` fails if they do).
// Compiled, never run: scripts/check-types.sh runs
//   tsc --strict --noEmit -p tests/node/types/tsconfig.cjs.json   (CommonJS, Node's require)
//   tsc --strict --noEmit -p tests/node/types/tsconfig.esm.json   (ESM, import)

import {
  AbortError,
  AmbiguousCheckError,
  APIConnectionError,
  APIError,
  APITimeoutError,
  AuthenticationError,
  BadRequestError,
  CheckWaitTimeout,
  CheckWaitTimeoutError,
  ClientClosedError,
  ConfigurationError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  PassFort,
  PassFortError,
  RateLimitError,
  RedirectError,
  ResponseDecodeError,
  ServerError,
  WebhookVerificationError,
  verifyWebhook,
} from 'passfort'
import type {
  BatchCheckRequest,
  BatchItem,
  BatchOptions,
  BatchProgress,
  BatchTaskRequest,
  Check,
  CheckMode,
  CheckRequest,
  CheckResult,
  CheckState,
  CheckType,
  Decision,
  ErrorDetail,
  Json,
  PassFortOptions,
  Profile,
  RecoveredCheck,
  RecoveredCheckEntry,
  RecoverOptions,
  Role,
  RunCheckAndWaitOptions,
  Task,
  TaskState,
  TaskType,
  Variant,
  VerifyOutcome,
  VerifyTaskOptions,
  WaitOptions,
  WebhookEvent,
  WebhookHeaders,
  Webhooks,
  WebhookServer,
  WhoAmI,
} from 'passfort'
import { Emulator } from 'passfort/testing'
import type { EmulatorOptions, FaultRule } from 'passfort/testing'

// Unions list the known values and still take any string PassFort may send.
const role: Role = 'INDIVIDUAL_CUSTOMER'
const newRole: Role = 'A_ROLE_FROM_A_LATER_API'
const checkType: CheckType = 'IDENTITY_CHECK'
const mode: CheckMode = 'server_default'
const fields: { [key: string]: Json } = { document_id: 'doc-1', pages: [1, 2], flags: { front: true }, note: null }

function describeCheck(check: Check): string {
  const state: CheckState = check.state
  const decision: Decision | undefined = check.decision
  const result: CheckResult | undefined = check.result
  const errors: ErrorDetail[] = check.errors
  const variant: Variant | undefined = check.variant
  const completed: Date | undefined = check.completedOn
  const raw: { [key: string]: Json } = check.raw
  return `${check.id} ${check.checkType} ${state} ${decision} ${result} ${errors.length} ${variant?.alias} ${completed?.toISOString()} ${Object.keys(raw)}`
}

function describeTask(task: Task): string {
  const state: TaskState = task.state
  const type: TaskType = task.type
  return `${task.id} ${type} ${state} ${task.isComplete} ${task.checkIds.join()} ${task.expiryDate?.getTime()}`
}

function describeProfile(profile: Profile): string {
  return `${profile.id} ${profile.role} ${profile.displayName} ${profile.tasks.map(describeTask)} ${profile.checks.map(describeCheck)}`
}

function describeEvent(event: WebhookEvent): string {
  return `${event.id} ${event.event} ${event.profileId} ${event.checkId} ${event.result}`
}

export async function usage(): Promise<void> {
  const emulatorOptions: EmulatorOptions = { apiKey: 'k', webhookSecret: 'a-webhook-secret-of-16+', syncTimeoutMs: 1000, providerLatencyMs: 10 }
  const emulator: Emulator = await Emulator.start(emulatorOptions)
  const urls: string[] = [emulator.url, emulator.baseUrl, emulator.apiKey, emulator.webhookSecret ?? '']
  emulator.script('profile-id', 'IDENTITY_CHECK', ['2+2'], { latencyMs: 5 })
  const rule: FaultRule = { method: 'POST', path: '/4.0/profiles/*/checks', action: 'status', status: 503, times: 2 }
  const added: Record<string, unknown> = emulator.fault(rule)
  emulator.clearFaults()
  const seen: Array<Record<string, unknown>> = [...emulator.checks(), ...emulator.requests(), ...emulator.webhookDeliveries()]
  emulator.configure({ syncTimeoutMs: 500, providerLatencyMs: 0 })
  emulator.reset()

  const options: PassFortOptions = {
    apiKey: 'k',
    baseUrl: emulator.baseUrl,
    timeoutMs: 30000,
    connectTimeoutMs: 10000,
    syncTimeoutMs: 150000,
    maxRetries: 2,
    maxRetryWaitMs: 60000,
    webhookSecret: 'a-webhook-secret-of-16+',
    webhookToleranceMs: 300000,
    maxConnections: 256,
    allowInsecureHttp: false,
    includeBodySnippets: false,
    proxy: 'http://proxy.internal:3128',
    caBundle: '/etc/ssl/certs/internal-ca.pem',
    redisUrl: 'redis://:password@redis.internal:6379/0',
    fleetLeaseMs: 30000,
    rateBudgetPerHour: 9000,
    rateBudgetBurst: 20,
  }
  const client = new PassFort(options)
  const fromEmulator: PassFort = emulator.client({ timeoutMs: 5000 })
  const baseUrl: string = client.baseUrl

  const me: WhoAmI = await client.whoami()
  const profile: Profile = await client.createProfile(role, { personal_details: { name: { given_names: ['Ada'], family_name: 'Lovelace' } } })
  await client.createProfile(newRole)
  const again: Profile = await client.getProfile(profile.id)
  for await (const each of client.listProfiles({ query: 'Lovelace', pageSize: 50 })) describeProfile(each)

  const request: CheckRequest = { checkType, taskIds: [profile.tasks[0].id], variantAlias: 'default', fields, mode }
  const check: Check = await client.runCheck(profile.id, request)
  const fetched: Check = await client.getCheck(profile.id, check.id)
  const checks: Check[] = await client.listChecks(profile.id)
  const controller = new AbortController()
  const wait: WaitOptions = { waitTimeoutMs: 60000, pollIntervalMs: 1000, signal: controller.signal }
  const waited: Check = await client.waitForCheck(profile.id, check.id, wait)
  const andWait: RunCheckAndWaitOptions = { checkType, mode: 'sync', fields, waitTimeoutMs: 60000, signal: AbortSignal.timeout(60000) }
  const finished: Check = await client.runCheckAndWait(profile.id, andWait)
  const tagged: Check = await client.runCheckAndWait(profile.id, { checkType, tag: 'order-17', mode: 'async' })
  const workerId: string | null = client.workerId
  const fleet: boolean = client.inFleet && client.fleetSubscribed
  const recoverOptions: RecoverOptions = { waitTimeoutMs: 60000, pollIntervalMs: 1000, signal: controller.signal }
  const recovered: RecoveredCheck[] = await client.recover(recoverOptions)
  for (const item of recovered) {
    const entry: RecoveredCheckEntry = item
    const tag: string | null = entry.tag
    void [entry.profileId, entry.checkId, entry.checkType, entry.taskIds, entry.previousOwner, tag]
    if (item.ok) describeCheck(item.check)
    else void item.error.message
  }
  const older: Check = await client.runCheckAndWait(profile.id, { checkType }, { waitTimeoutMs: 1000 })

  const task: Task = await client.getTask(profile.id, profile.tasks[0].id)
  const tasks: Task[] = await client.listTasks(profile.id)
  const completed: Task = await client.completeTask(profile.id, task.id, 'COMPLETED_PASS')
  const verify: VerifyTaskOptions = { checkType, variantId: 'v', fields, maxFailures: 2, mode: 'async', waitTimeoutMs: 1000, tag: 'task-1', signal: controller.signal }
  const outcome: VerifyOutcome = await client.verifyTask(profile.id, task.id, verify)
  const stop: 'passed' | 'failed' | 'needs_review' = outcome.stop

  const onProgress = (progress: BatchProgress): void => void `${progress.done}/${progress.total} (${progress.failed} failed)`
  const batch: BatchOptions = { concurrency: 4, waitTimeoutMs: 60000, onProgress, signal: controller.signal }
  const checkRequests: BatchCheckRequest[] = [{ profileId: profile.id, checkType, taskIds: [task.id], fields, tag: 'batch-1' }]
  const ran: Array<BatchItem<BatchCheckRequest, 'check', Check>> = await client.runChecks(checkRequests, { ...batch, mode })
  for (const item of ran) {
    if (item.ok) describeCheck(item.check)
    else void item.error.message
  }
  const taskRequests: BatchTaskRequest[] = [{ profileId: profile.id, taskId: task.id, checkType, variantAlias: 'default', fields }]
  const verified = await client.verifyTasks(taskRequests, { ...batch, maxFailures: 1 })
  for (const item of verified) {
    if (item.ok) void item.outcome.reason
  }

  const webhooks: Webhooks = client.webhooks
  const server: WebhookServer = await webhooks.serve({ host: '127.0.0.1', port: 0, path: '/hooks' })
  emulator.setWebhook(server.url, { secret: 'a-webhook-secret-of-16+', batching: true })
  const headers: WebhookHeaders = { 'content-type': 'application/json', 'x-many': ['a', 'b'], absent: undefined }
  const handled: WebhookEvent[] = webhooks.handle(Buffer.from('{}'), headers)
  const handledInFleet: WebhookEvent[] = await webhooks.handleAsync('{}', headers, { acknowledge: false })
  await webhooks.acknowledgeAsync(handledInFleet.map((event) => event.id))
  const verifiedEvents: WebhookEvent[] = verifyWebhook('{}', new Map<string, string>([['content-type', 'application/json']]), 'a-webhook-secret-of-16+')
  emulator.setWebhook(null)
  await server.close()

  try {
    await client.getProfile('missing')
  } catch (error) {
    if (error instanceof PassFortError) void [error.code, error.mayHaveReachedServer, error.message]
    if (error instanceof APIError) void [error.status, error.errors, error.requestId, error.bodySnippet]
    if (error instanceof RateLimitError) void (error.retryAfterMs ?? 0)
    if (error instanceof ResponseDecodeError) void [error.status, error.bodySnippet]
    if (error instanceof RedirectError) void [error.status, error.targetHost]
    if (error instanceof CheckWaitTimeoutError) void [error.profileId, error.checkId, error.lastState, error.waitedMs]
    if (error instanceof CheckWaitTimeout) void error.checkId
    if (error instanceof AmbiguousCheckError) void [error.profileId, error.checkType, error.taskIds, error.sentAt]
    if (error instanceof WebhookVerificationError) {
      const reason: 'unauthorized' | 'malformed' | 'too_large' | 'expired' | (string & {}) = error.reason
      void reason
    }
    if (error instanceof InvalidArgumentError) {
      const asTypeError: TypeError = error
      const code: 'invalid_argument' = error.code
      void [asTypeError, code]
    }
    if (error instanceof AbortError) {
      const name: 'AbortError' = error.name
      const code: 'ABORT_ERR' = error.code
      void [name, code]
    }
  }
  const subclasses: Array<new (message?: string) => PassFortError> = [
    ConfigurationError,
    BadRequestError,
    AuthenticationError,
    NotFoundError,
    ConflictError,
    RateLimitError,
    ServerError,
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    RedirectError,
  ]
  const timeoutAlias: CheckWaitTimeout = new CheckWaitTimeout('late')

  await client.close()
  await fromEmulator.close()
  await emulator.close()
  void [urls, added, seen, baseUrl, me, again, fetched, checks, waited, finished, older, tasks, completed, stop, handled, handledInFleet, verifiedEvents, tagged, workerId, fleet, subclasses, timeoutAlias]

  // Wrong calls: each line below must fail to type-check.
  // @ts-expect-error: runCheck needs the check's options
  await client.runCheck(profile.id)
  // @ts-expect-error: mode is 'sync', 'async' or 'server_default'
  await client.runCheck(profile.id, { checkType, mode: 'fast' })
  // @ts-expect-error: fields are JSON, and a function is not
  await client.runCheck(profile.id, { checkType, fields: { callback: () => 1 } })
  // @ts-expect-error: waitTimeoutMs is a number of milliseconds
  await client.runCheckAndWait(profile.id, { checkType, waitTimeoutMs: '60s' })
  // @ts-expect-error: a task is completed as passed or failed, not incomplete
  await client.completeTask(profile.id, task.id, 'INCOMPLETE')
  // @ts-expect-error: verifyTask needs a checkType
  await client.verifyTask(profile.id, task.id, { maxFailures: 1 })
  // @ts-expect-error: options are named in milliseconds
  new PassFort({ timeout: 30 })
  // @ts-expect-error: a webhook body is a Buffer or a string
  verifyWebhook(42, {}, 'secret')
  // @ts-expect-error: not a fault action
  emulator.fault({ method: 'GET', path: '/4.0/profiles', action: 'explode' })
  // @ts-expect-error: batch requests need a profileId
  await client.runChecks([{ checkType }])
  // @ts-expect-error: the lease is named in milliseconds
  new PassFort({ redisUrl: 'redis://127.0.0.1:6379', fleetLease: 30 })
  // @ts-expect-error: handleAsync resolves to the events: it is not an array itself
  const notAwaited: WebhookEvent[] = webhooks.handleAsync('{}', headers)
  // @ts-expect-error: an emulator is made by Emulator.start()
  new Emulator()
}
