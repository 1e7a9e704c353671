// One contender of the GET benchmark in Node: read the same check N times and
// decode it, then print one JSON line.
//
//   node bench/node_get.js CONTENDER --base-url URL --api-key KEY \
//       --profile ID --check ID --calls N [--concurrency C] [--rate R]
//
// CONTENDER: passfort (getCheck), undici-pool (undici's Pool.request, then
// JSON.parse of the body text), fetch (the global fetch, then JSON.parse).
// Closed loop by default: C workers share the N calls. With --rate R, open
// loop: call i is started when due (start + i/R) and its latency is measured
// from that due time, so a stall is charged to every call it delayed.
// undici comes from bench/npm (bench/run installs it there).
'use strict'

const path = require('node:path')
const { createRequire } = require('node:module')
const { parseArgs } = require('node:util')

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    profile: { type: 'string' },
    check: { type: 'string' },
    calls: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string' },
  },
})
const contender = positionals[0]
const calls = Number(args.calls)
const concurrency = Number(args.concurrency)
const rate = args.rate === undefined ? undefined : Number(args.rate)

function contenderCall() {
  if (contender === 'passfort') {
    const { PassFort } = require('passfort')
    const client = new PassFort({ apiKey: args['api-key'], baseUrl: args['base-url'] })
    return () => client.getCheck(args.profile, args.check)
  }
  if (contender === 'undici-pool') {
    const { Pool } = createRequire(path.join(__dirname, 'npm', 'package.json'))('undici')
    const base = new URL(args['base-url'])
    const pool = new Pool(base.origin, { connections: concurrency })
    const request = {
      path: `${base.pathname}/profiles/${args.profile}/checks/${args.check}`,
      method: 'GET',
      headers: { apikey: args['api-key'] },
    }
    return async () => {
      const { statusCode, body } = await pool.request(request)
      const text = await body.text()
      if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`)
      return JSON.parse(text)
    }
  }
  if (contender === 'fetch') {
    const url = `${args['base-url']}/profiles/${args.profile}/checks/${args.check}`
    const headers = { apikey: args['api-key'] }
    return async () => {
      const response = await fetch(url, { headers })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      return JSON.parse(await response.text())
    }
  }
  throw new Error(`unknown contender ${contender}`)
}

async function drive(call, total) {
  let remaining = total
  const worker = async () => {
    while (remaining > 0) {
      remaining -= 1
      await call()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6

// Starts each call when due; resolves to each call's latency from its due time, in ms.
async function openLoop(call, total) {
  const interval = 1000 / rate
  const latencies = []
  const pending = []
  const start = nowMs()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor((nowMs() - start) / interval) + 1)
    for (; sent < due; sent += 1) {
      const dueAt = start + sent * interval
      pending.push(call().then(() => latencies.push(nowMs() - dueAt)))
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + sent * interval - nowMs())))
  }
  await Promise.all(pending)
  return latencies.sort((a, b) => a - b)
}

const percentile = (ordered, fraction) => ordered[Math.min(ordered.length - 1, Math.floor(fraction * ordered.length))]

async function main() {
  const call = contenderCall()
  await drive(call, concurrency * 4) // warm up: connections open
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  const latencies = rate ? await openLoop(call, calls) : (await drive(call, calls), undefined)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  const measured = {
    contender,
    calls,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    peak_rss_kb: process.resourceUsage().maxRSS,
  }
  if (latencies) {
    Object.assign(measured, {
      rate,
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      max_ms: latencies[latencies.length - 1],
    })
  }
  console.log(JSON.stringify(measured))
  process.exit(0) // the pools keep their connections open
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
