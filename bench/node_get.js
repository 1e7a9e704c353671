// One contender of the GET benchmark in Node: read the same check N times and
// decode it, with C workers sharing the calls; prints one JSON line.
//
//   node bench/node_get.js CONTENDER --base-url URL --api-key KEY \
//       --profile ID --check ID --calls N --concurrency C
'use strict'

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
  },
})
const contender = positionals[0]
const calls = Number(args.calls)
const concurrency = Number(args.concurrency)

function contenderCall() {
  if (contender === 'passfort') {
    const { PassFort } = require('passfort')
    const client = new PassFort({ apiKey: args['api-key'], baseUrl: args['base-url'] })
    return () => client.getCheck(args.profile, args.check)
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

async function main() {
  const call = contenderCall()
  await drive(call, concurrency * 4) // warm up: connections open
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  await drive(call, calls)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  console.log(JSON.stringify({
    contender,
    calls,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    peak_rss_kb: process.resourceUsage().maxRSS,
  }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
