// Type test of the webhook events (lib/index.d.ts): a discriminated union on
// `known` and `event`, narrowed by tsc --strict; compiled, never run.

import { PassFort, verifyWebhook } from 'passfort'
import type { CheckCompletedEvent, KnownWebhookEvent, RiskLevel, WebhookCheck, WebhookEvent, WebhookTask } from 'passfort'

declare const client: PassFort
const events: WebhookEvent[] = client.webhooks.handle('[]', { authorization: 'Bearer x' })
const verified: WebhookEvent[] = verifyWebhook('[]', {}, 'whsec_0123456789abcdef')

function describe(event: WebhookEvent): string {
  // @ts-expect-error: `check` is only on CHECK_COMPLETED and MANUAL_ACTION_REQUIRED, after narrowing
  event.check
  if (!event.known) {
    const name: string = event.event
    const data = event.data
    return `${name} passed through: ${JSON.stringify(data)}`
  }
  switch (event.event) {
    case 'CHECK_COMPLETED': {
      const check: WebhookCheck = event.check
      const id: string = event.checkId
      return `${id} ${check.result ?? ''} ${event.profileId}`
    }
    case 'TASK_CREATED':
    case 'TASK_STATE_CHANGED':
    case 'TASK_IS_COMPLETE_CHANGED': {
      const task: WebhookTask = event.task
      return `${task.id} ${task.state ?? ''} ${task.isComplete ?? ''}`
    }
    case 'RISK_LEVEL_CHANGED': {
      const level: RiskLevel | null = event.newRiskLevel
      return `${level ?? 'none'} ${event.oldRiskLevel ?? 'none'}`
    }
    case 'RISK_SCORE_CHANGED':
      return `${(event.newRiskScore ?? 0) + 1}`
    case 'PRODUCT_STATUS_CHANGED':
      return `${event.applicationId} ${event.newStatus} ${event.product?.alias} ${event.user?.email} ${event.apikey?.name}`
    case 'MANUAL_ACTION_REQUIRED':
      return `${event.applicationId} ${event.product?.id} ${event.check?.id ?? 'no check'}`
    case 'EVENTS_CREATED':
    case 'EVENTS_UPDATED':
      return event.events.map((e) => `${e.id} ${e.eventType} ${e.resolution}`).join()
    case 'PROFILE_STATUS_CHANGED':
      return `${event.newStatus}`
    case 'PRODUCT_BADGE_CHANGED':
    case 'COLLECTED_DATA_UPDATED':
    case 'COLLECTED_DATA_CHANGED':
    case 'FORM_STATE_CHANGED':
    case 'CUSTOMER_REQUEST_CHANGED':
    case 'COLLECTION_STEPS_COMPLETED':
      return `${event.profileId} ${event.customerRef ?? ''}`
    default: {
      const exhaustive: never = event
      return exhaustive
    }
  }
}

function completed(event: WebhookEvent): event is CheckCompletedEvent {
  return event.known && event.event === 'CHECK_COMPLETED'
}

const known: KnownWebhookEvent[] = events.filter((e): e is KnownWebhookEvent => e.known)
const checkIds: string[] = [...events, ...verified].filter(completed).map((e) => e.check.id)
console.log(events.map(describe), known.length, checkIds)
