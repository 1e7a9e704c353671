// Webhook handling through the Node binding: every delivery of a file (one
// batch body a line) through `client.webhooks.handle`; prints one JSON line.
//
//   node bench/node_webhooks.js DELIVERIES_FILE SECRET
'use strict'

const fs = require('node:fs')
const { PassFort } = require('passfort')

const [path, secret] = process.argv.slice(2)
const deliveries = fs.readFileSync(path).toString('utf8').split('\n').filter(Boolean).map((line) => Buffer.from(line))
const client = new PassFort({ apiKey: 'unused', baseUrl: 'http://127.0.0.1:9', webhookSecret: secret })
const headers = { authorization: `Bearer ${secret}` }

const cpuBefore = process.cpuUsage()
const started = process.hrtime.bigint()
let events = 0
for (const body of deliveries) events += client.webhooks.handle(body, headers).length
const seconds = Number(process.hrtime.bigint() - started) / 1e9
const cpu = process.cpuUsage(cpuBefore)
console.log(JSON.stringify({
  contender: 'node',
  events,
  seconds,
  cpu_seconds: (cpu.user + cpu.system) / 1e6,
  peak_rss_kb: process.resourceUsage().maxRSS,
}))
