// Type test of the generated operation namespaces (lib/operations.d.ts) and
// the response type; compiled, never run (scripts/check-types.sh).
import { PassFort } from 'passfort'
import type { JsonObject, PassFortResponse } from 'passfort'

export async function operations(client: PassFort, signal: AbortSignal): Promise<void> {
  const profile: JsonObject = await client.profiles.create({ role: 'INDIVIDUAL_CUSTOMER' })
  const id = String(profile.id)
  const applications: JsonObject[] = await client.applications.list(id, { timeoutMs: 5000, maxRetries: 1, signal })
  await client.applications.create(id, { product: { alias: 'individual-account' } }, { headers: { 'X-Trace': 't' } })
  await client.applications.revertDecision(id, String(applications[0]?.id))
  await client.status.set(id, 'SUSPENDED')
  await client.events.bulkUpdate(id, [{ id: 'e', resolution: 'MATCH' }])
  await client.profiles.list({ query: { q: 'smith', limit: 10 } })
  const raw: PassFortResponse = await client.withRawResponse.collectedData.update(id, {}, { ifMatch: 'W/"1"' })
  const etag: string | null = raw.etag
  const bytes: Buffer = raw.raw
  void etag
  void bytes
  const any: PassFortResponse = await client.request('GET', '/whoami', { query: { a: 'b' }, signal })
  void any.requestId
  // @ts-expect-error a required body
  await client.applications.create(id)
  // @ts-expect-error a query parameter the operation does not take
  await client.profiles.list({ query: { nope: 'x' } })
  // @ts-expect-error a path parameter is a string
  await client.profiles.get(42)
}
