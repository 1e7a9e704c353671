// Quick-start (Node): an embedded emulator, a profile, checks that resolve
// however PassFort answers, webhooks, and the task policy.
//
// Run: bash scripts/quickstart.sh (compiles this with tsc, then runs it)

import { CheckWaitTimeoutError, NotFoundError, PassFort, WebhookVerificationError, verifyWebhook } from 'passfort'
import { Emulator } from 'passfort/testing'

const WEBHOOK_SECRET = 'quickstart-webhook-secret'

async function main(): Promise<void> {
  // Sync runs give up after 1 s here (PassFort: 120 s); "Slow" outlasts that.
  const emulator = await Emulator.start({ webhookSecret: WEBHOOK_SECRET, syncTimeoutMs: 1000 })
  const client: PassFort = emulator.client()
  const server = await client.webhooks.serve({ host: '127.0.0.1', port: 0 })
  emulator.setWebhook(server.url)
  const me = await client.whoami()
  console.log(`1. emulator at ${client.baseUrl}, authenticated as ${me.institution?.name}`)

  const profile = await client.createProfile('INDIVIDUAL_CUSTOMER', {
    entity_type: 'INDIVIDUAL',
    personal_details: { name: { given_names: ['Grace'], family_name: 'Slow' } },
  })
  const identity = profile.tasks.find((task) => task.type === 'INDIVIDUAL_VERIFY_IDENTITY')
  const screeningTask = profile.tasks.find((task) => task.type !== 'INDIVIDUAL_VERIFY_IDENTITY')
  if (!identity || !screeningTask) throw new Error('the profile has no tasks')
  console.log(`2. created profile ${profile.id} (${profile.displayName})`)

  const check = await client.runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', taskIds: [identity.id] })
  console.log(`3. sync identity check, switched to async and finished: ${check.result} / ${check.decision} at ${check.completedOn?.toISOString()}`)

  const started = await client.runCheck(profile.id, { checkType: 'PEPS_AND_SANCTIONS_SCREEN', mode: 'async' })
  const screening = await client.waitForCheck(profile.id, started.id, { waitTimeoutMs: 60000 })
  console.log(`4. async screening ${started.state} -> ${screening.state}: ${screening.result}`)

  const task = await client.completeTask(profile.id, screeningTask.id, 'COMPLETED_PASS')
  console.log(`5. screening task is ${task.state}`)

  const outcome = await client.verifyTask(profile.id, identity.id, { checkType: 'IDENTITY_CHECK' })
  console.log(`6. verifyTask on the identity task: ${outcome.reason}`)

  const checks = await client.listChecks(profile.id)
  const tasks = await client.listTasks(profile.id)
  const again = await client.getCheck(profile.id, check.id)
  const identityNow = await client.getTask(profile.id, identity.id)
  const fetched = await client.getProfile(profile.id)
  const names: string[] = []
  for await (const each of client.listProfiles()) names.push(each.displayName ?? each.id)
  console.log(`7. ${names.join(', ')}: ${checks.length} checks, ${tasks.length} tasks; identity task ${identityNow.state}; ${again.id === check.id && fetched.id === profile.id}`)

  try {
    await client.getCheck(profile.id, '00000000-0000-0000-0000-000000000000')
  } catch (error) {
    if (error instanceof NotFoundError) console.log(`8. errors are classes: ${error.name} ${error.status}`)
  }
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 100)
  emulator.configure({ providerLatencyMs: 60000 })
  await client
    .runCheckAndWait(profile.id, { checkType: 'IDENTITY_CHECK', mode: 'async' }, { waitTimeoutMs: 5000, signal: controller.signal })
    .catch((error: unknown) => {
      if (error instanceof Error && error.name === 'AbortError') console.log('9. an aborted wait stops at once')
      else if (error instanceof CheckWaitTimeoutError) console.log(`9. gave up on ${error.checkId}`)
    })

  const body = JSON.stringify({ id: 'evt-1', event: 'PRODUCT_STATUS_CHANGED', secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000), data: {} })
  const headers = { authorization: `Bearer ${WEBHOOK_SECRET}` }
  const events = client.webhooks.handle(Buffer.from(body), headers)
  const alone = verifyWebhook(body, headers, WEBHOOK_SECRET)
  try {
    client.webhooks.handle(body, { authorization: 'Bearer forged' })
  } catch (error) {
    if (error instanceof WebhookVerificationError) console.log(`10. webhooks: ${events[0]?.event} handled, ${alone.length} verified, forged one ${error.reason}`)
  }

  await server.close()
  await client.close()
  await emulator.close()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
