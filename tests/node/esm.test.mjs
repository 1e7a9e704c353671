import test from 'node:test'
import assert from 'node:assert/strict'
import PassFortDefault, { PassFort, NotFoundError } from 'passfort'
import { Emulator } from 'passfort/testing'

test('import works as well as require', async () => {
  assert.equal(PassFortDefault, PassFort)
  const emulator = await Emulator.start()
  const client = emulator.client()
  await assert.rejects(client.getProfile('00000000-0000-0000-0000-000000000000'), NotFoundError)
  await emulator.close()
})
