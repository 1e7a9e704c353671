export * from 'passfort/testing'
