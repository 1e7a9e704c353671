import testing from './testing.js'

export const { Emulator } = testing
