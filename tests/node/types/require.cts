// CommonJS only: `require('passfort')` is the exports object, with no default.
import passfort = require('passfort')
import testing = require('passfort/testing')

export const client: passfort.PassFort = new passfort.PassFort({ apiKey: 'k' })
export const start: typeof testing.Emulator.start = testing.Emulator.start
// @ts-expect-error: there is no default export at runtime (module.exports has none)
export const none = passfort.default
