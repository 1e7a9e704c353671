// Waiting at scale in Node: N concurrent checks started and waited for in one
// process by passfort's `runCheckAndWait`; prints one JSON line, the same keys
// as bench/py_wait.py.
//
//   node bench/node_wait.js VARIANT --emulator-url URL --base-url URL/4.0 --api-key KEY \
//       --profiles FILE --checks N [--webhook-secret S]
//
// VARIANT: passfort-webhooks (async mode, the built-in listener receives the
// emulator's batched webhooks) or passfort-polling (async mode, no webhooks).
'use strict'

const fs = require('node:fs')
const { parseArgs } = require('node:util')

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    'emulator-url': { type: 'string' },
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    profiles: { type: 'string' },
    checks: { type: 'string', default: '10000' },
    'webhook-secret': { type: 'string', default: 'bench-webhook-secret' },
  },
})
const variant = positionals[0]
if (!['passfort-webhooks', 'passfort-polling'].includes(variant)) throw new Error(`unknown variant ${variant}`)

async function adminPutWebhook(body) {
  const response = await fetch(`${args['emulator-url']}/_emulator/webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`PUT /_emulator/webhook: HTTP ${response.status}`)
}

/** Resident set size over the run, sampled every 100 ms: [ms since start, KB]. */
function rssTimeline(started) {
  const samples = []
  const sample = () => samples.push([Math.round(performance.now() - started), Math.round(process.memoryUsage.rss() / 1024)])
  const timer = setInterval(sample, 100)
  return {
    samples,
    stop() {
      clearInterval(timer)
      sample()
    },
  }
}

async function main() {
  const profiles = fs.readFileSync(args.profiles, 'utf8').split(/\s+/).filter(Boolean)
  const checks = Number(args.checks)
  const { PassFort } = require('passfort')
  const secret = args['webhook-secret']
  const client = new PassFort({ apiKey: args['api-key'], baseUrl: args['base-url'], webhookSecret: secret })
  let server = null
  if (variant === 'passfort-webhooks') {
    server = await client.webhooks.serve()
    await adminPutWebhook({ url: server.url, secret, batching: true })
  } else {
    await adminPutWebhook({ url: null })
  }

  // Check id -> when its waiter resolved (ms since the epoch), for the per-check lag.
  const resolvedMs = {}
  const started = performance.now()
  const rss = rssTimeline(started)
  const cpuBefore = process.cpuUsage()
  const waits = []
  for (let index = 0; index < checks; index++) {
    const profile = profiles[index % profiles.length]
    waits.push(
      client.runCheckAndWait(profile, { checkType: 'IDENTITY_CHECK', mode: 'async' }).then((check) => {
        resolvedMs[check.id] = performance.timeOrigin + performance.now()
      }),
    )
  }
  await Promise.all(waits)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  rss.stop()
  const resolved = Object.values(resolvedMs)
  console.log(JSON.stringify({
    variant,
    resolved: resolved.length,
    seconds,
    last_resolved_ms: Math.max(...resolved),
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    peak_rss_kb: process.resourceUsage().maxRSS,
    rss_timeline_kb: rss.samples,
    resolved_ms: resolvedMs,
  }))
  if (server) await server.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
