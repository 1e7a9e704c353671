'use strict'
// PassFort in an Express app under Node's `cluster`: a primary forks N workers
// sharing one port, and the workers form a fleet through one Redis.
//
// PassFort sends each webhook to one URL, so to one worker, while the request
// waiting for that check (`runCheckAndWait`) may be in another: with `redisUrl`
// (or PASSFORT_REDIS_URL) the worker that receives a webhook wakes the waiters
// of every worker, each event is acted on once in the whole fleet however often
// PassFort retries it, creations share one rate budget, and the checks a worker
// was waiting for when it died are handed over by `recover()` in another.
//
//   PASSFORT_API_KEY=... PASSFORT_WEBHOOK_SECRET=... PASSFORT_REDIS_URL=redis://127.0.0.1:6379/0 \
//     PORT=3000 WORKERS=4 node examples/fleet/node/express.js
//
// Give PassFort http(s)://<your host>/passfort/webhooks as the webhook URL.
// This recipe's own optional settings: WORKERS (default: one per CPU),
// PASSFORT_FLEET_LEASE_MS, PASSFORT_RATE_BUDGET_PER_HOUR, PASSFORT_RATE_BUDGET_BURST.

const cluster = require('node:cluster')
const os = require('node:os')
const express = require('express')
const { PassFort, WebhookVerificationError } = require('passfort')

/** One JSON line per thing that happened, tagged with the process. */
function log(fields) {
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ...fields })}\n`)
}

/** The answer to a delivery that does not verify, by WebhookVerificationError's reason (400: malformed). */
const REFUSED = { unauthorized: 401, expired: 401, too_large: 413 }

const optionalNumber = (name) => (process.env[name] ? Number(process.env[name]) : undefined)

if (cluster.isPrimary) {
  const workers = optionalNumber('WORKERS') ?? os.availableParallelism()
  for (let n = 0; n < workers; n++) cluster.fork()
  // A production primary forks a replacement here; the replacement's recover()
  // (or any other worker's) takes over the checks the dead one was waiting for.
  cluster.on('exit', (worker, code, signal) => log({ workerExited: worker.process.pid, code, signal }))
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exit(0)
  })
} else {
  serveWorker()
}

function serveWorker() {
  // apiKey and baseUrl from PASSFORT_API_KEY / PASSFORT_BASE_URL, the Redis from PASSFORT_REDIS_URL.
  const passfort = new PassFort({
    webhookSecret: process.env.PASSFORT_WEBHOOK_SECRET,
    fleetLeaseMs: optionalNumber('PASSFORT_FLEET_LEASE_MS'),
    rateBudgetPerHour: optionalNumber('PASSFORT_RATE_BUDGET_PER_HOUR'),
    rateBudgetBurst: optionalNumber('PASSFORT_RATE_BUDGET_BURST'),
  })
  const app = express()

  // PassFort's webhooks: the raw body (never express.json(): the hub verifies
  // the bytes as sent), handed to the hub, answered at once; the events are
  // acted on after the answer, so PassFort never waits for your handling.
  app.post('/passfort/webhooks', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    let events
    try {
      events = await passfort.webhooks.handleAsync(req.body, req.headers)
    } catch (error) {
      if (error instanceof WebhookVerificationError) return res.sendStatus(REFUSED[error.reason] ?? 400)
      log({ webhookError: String(error) })
      return res.sendStatus(500) // PassFort delivers it again later
    }
    log({ delivery: events.map((event) => event.id), at: Date.now() })
    res.sendStatus(200)
    for (const event of events) setImmediate(() => actOn(event))
  })

  // A customer's profile: a rate-limited creation, paced by the fleet's shared budget.
  app.post('/customers', express.json(), async (req, res, next) => {
    try {
      const profile = await passfort.createProfile('INDIVIDUAL_CUSTOMER', req.body)
      res.status(201).json({ profileId: profile.id, pid: process.pid })
    } catch (error) {
      next(error)
    }
  })

  // A waiter: runs an identity check and answers once it has finished; the
  // webhook that finishes it may land on any worker. `tag` is your reference,
  // kept in the fleet's ledger so that `recover()` can say whose check it was.
  app.post('/customers/:profileId/identity-check', express.json(), async (req, res, next) => {
    try {
      const check = await passfort.runCheckAndWait(req.params.profileId, { checkType: 'IDENTITY_CHECK', mode: 'async', tag: req.body?.tag })
      res.json({ workerId: passfort.workerId, pid: process.pid, resolvedAt: Date.now(), check: { id: check.id, result: check.result, wait: check.wait } })
    } catch (error) {
      next(error)
    }
  })

  app.use((error, req, res, next) => {
    log({ error: String(error), code: error.code })
    if (res.headersSent) return next(error)
    res.status(error.status === 429 ? 503 : 500).json({ error: error.code ?? 'internal' })
  })

  const server = app.listen(Number(process.env.PORT ?? 3000), () => {
    log({ listening: server.address().port, workerId: passfort.workerId })
    recoverNowAndThen(passfort)
    reportWhenSubscribed(passfort)
  })
}

/** Says once when this worker hears the fleet's webhooks (until then, and whenever Redis is away, its waiters poll). */
function reportWhenSubscribed(passfort) {
  const look = () => (passfort.fleetSubscribed ? log({ fleetSubscribed: passfort.workerId }) : setTimeout(look, 50).unref())
  look()
}

/** Your handling of an event, once in the fleet (here: a log line). */
function actOn(event) {
  log({ acted: event.event, eventId: event.id, checkId: event.checkId ?? null, at: Date.now() })
}

/**
 * Takes over the checks of workers that died while waiting (their leases
 * expired), at start-up and then every lease: each is handed to exactly one
 * worker of the fleet, which waits for it and gets it back finished, once.
 */
function recoverNowAndThen(passfort) {
  const every = optionalNumber('PASSFORT_FLEET_LEASE_MS') ?? 30000
  const round = async () => {
    try {
      for (const recovered of await passfort.recover()) {
        const { checkId, profileId, tag, previousOwner } = recovered
        // Here: finish what the dead worker's request would have done (notify, store the result, ...).
        log({ recovered: checkId, profileId, tag, previousOwner, ok: recovered.ok, result: recovered.ok ? recovered.check.result : String(recovered.error) })
      }
    } catch (error) {
      log({ recoverError: String(error) }) // Redis unreachable: nothing was taken; the next round tries again
    }
    setTimeout(round, every).unref()
  }
  round()
}
