// Types of `import ... from 'passfort/testing'` (ESM: lib/testing.mjs), which
// has the named exports of testing.d.ts and no default export.
export * from './testing.js'
