// Types of `import ... from 'passfort'` (ESM: lib/index.mjs). The same
// exports as index.d.ts (require), plus the default export: the PassFort class.
import { PassFort } from './index.js'

export * from './index.js'
export default PassFort
