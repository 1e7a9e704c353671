'use strict'
// PassFort in a Fastify app under Node's `cluster`: a primary forks N workers
// sharing one port, and the workers form a fleet through one Redis (see
// express.js for what the fleet shares).
//
//   PASSFORT_API_KEY=... PASSFORT_WEBHOOK_SECRET=... PASSFORT_REDIS_URL=redis://127.0.0.1:6379/0 \
//     PORT=3000 WORKERS=4 node examples/fleet/node/fastify.js
//
// Fastify parses JSON bodies by default, and a webhook is verified on the
// bytes as PassFort sent them: the webhook route lives in its own plugin
// context, whose only content-type parser hands over the raw Buffer. The other
// routes keep Fastify's JSON parsing.

const cluster = require('node:cluster')
const os = require('node:os')
const Fastify = require('fastify')
const { PassFort, WebhookVerificationError } = require('passfort')

function log(fields) {
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ...fields })}\n`)
}

/** The answer to a delivery that does not verify, by WebhookVerificationError's reason (400: malformed). */
const REFUSED = { unauthorized: 401, expired: 401, too_large: 413 }

const optionalNumber = (name) => (process.env[name] ? Number(process.env[name]) : undefined)

if (cluster.isPrimary) {
  const workers = optionalNumber('WORKERS') ?? os.availableParallelism()
  for (let n = 0; n < workers; n++) cluster.fork()
  // A production primary forks a replacement here (see express.js).
  cluster.on('exit', (worker, code, signal) => log({ workerExited: worker.process.pid, code, signal }))
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exit(0)
  })
} else {
  serveWorker().catch((error) => {
    log({ startError: String(error) })
    process.exit(1)
  })
}

async function serveWorker() {
  // apiKey and baseUrl from PASSFORT_API_KEY / PASSFORT_BASE_URL, the Redis from PASSFORT_REDIS_URL.
  const passfort = new PassFort({
    webhookSecret: process.env.PASSFORT_WEBHOOK_SECRET,
    fleetLeaseMs: optionalNumber('PASSFORT_FLEET_LEASE_MS'),
    rateBudgetPerHour: optionalNumber('PASSFORT_RATE_BUDGET_PER_HOUR'),
    rateBudgetBurst: optionalNumber('PASSFORT_RATE_BUDGET_BURST'),
  })
  const app = Fastify()

  await app.register(async (webhooks) => {
    // In this context only: every body arrives as the raw Buffer, whatever its content type.
    webhooks.removeAllContentTypeParsers()
    webhooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (request, body, done) => done(null, body))

    // Handed to the hub, answered at once; the events are acted on after the answer.
    webhooks.post('/passfort/webhooks', async (request, reply) => {
      let events
      try {
        events = await passfort.webhooks.handleAsync(request.body ?? Buffer.alloc(0), request.headers)
      } catch (error) {
        if (error instanceof WebhookVerificationError) return reply.code(REFUSED[error.reason] ?? 400).send()
        throw error // 500: PassFort delivers it again later
      }
      log({ delivery: events.map((event) => event.id), at: Date.now() })
      for (const event of events) setImmediate(() => actOn(event))
      return reply.code(200).send()
    })
  })

  // A waiter: runs an identity check and answers once it has finished; the
  // webhook that finishes it may land on any worker.
  app.post('/customers/:profileId/identity-check', async (request) => {
    const tag = request.body?.tag
    const check = await passfort.runCheckAndWait(request.params.profileId, { checkType: 'IDENTITY_CHECK', mode: 'async', tag })
    return { workerId: passfort.workerId, pid: process.pid, resolvedAt: Date.now(), check: { id: check.id, result: check.result, wait: check.wait } }
  })

  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '0.0.0.0' })
  log({ listening: app.server.address().port, workerId: passfort.workerId })
  recoverNowAndThen(passfort)
  reportWhenSubscribed(passfort)
}

/** Your handling of an event, once in the fleet (here: a log line). */
function actOn(event) {
  log({ acted: event.event, eventId: event.id, checkId: event.checkId ?? null, at: Date.now() })
}

/** Takes over the checks of workers that died while waiting, at start-up and then every lease (see express.js). */
function recoverNowAndThen(passfort) {
  const every = optionalNumber('PASSFORT_FLEET_LEASE_MS') ?? 30000
  const round = async () => {
    try {
      for (const recovered of await passfort.recover()) {
        const { checkId, profileId, tag, previousOwner } = recovered
        log({ recovered: checkId, profileId, tag, previousOwner, ok: recovered.ok, result: recovered.ok ? recovered.check.result : String(recovered.error) })
      }
    } catch (error) {
      log({ recoverError: String(error) })
    }
    setTimeout(round, every).unref()
  }
  round()
}

function reportWhenSubscribed(passfort) {
  const look = () => (passfort.fleetSubscribed ? log({ fleetSubscribed: passfort.workerId }) : setTimeout(look, 50).unref())
  look()
}
