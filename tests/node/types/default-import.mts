// ESM only: the default export is the PassFort class (lib/index.mjs; typed by
// lib/index.d.mts), and passfort/testing has named exports only.
import PassFort, { PassFort as Named } from 'passfort'
import * as testing from 'passfort/testing'

export const client: Named = new PassFort({ apiKey: 'k' })
export const same: typeof Named = PassFort
export const start: typeof testing.Emulator.start = testing.Emulator.start
