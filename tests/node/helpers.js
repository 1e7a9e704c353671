'use strict'
const { Emulator } = require('passfort/testing')

const API_KEY = 'sk_node_test_7c2e41'
const WEBHOOK_SECRET = 'whsec_node_test_93ab'

async function startEmulator(options = {}) {
  return Emulator.start({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, providerLatencyMs: 10, ...options })
}

function person(familyName = 'Smith') {
  return { entity_type: 'INDIVIDUAL', personal_details: { name: { given_names: ['Ada'], family_name: familyName } } }
}

function requestsTo(emulator, method, suffix) {
  return emulator.requests().filter((r) => r.method === method && r.path.endsWith(suffix))
}

module.exports = { API_KEY, WEBHOOK_SECRET, startEmulator, person, requestsTo }
