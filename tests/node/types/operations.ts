// Type test of the generated operation namespaces and models (lib/operations.d.ts)
// and the response type; compiled, never run (scripts/check-types.sh). Every
// expected error below must be reported by tsc, so bodies and results are typed.
import { PassFort } from 'passfort'
import type {
  Application,
  CheckResource,
  DocumentImage,
  EntityData,
  JsonObject,
  Note,
  PassFortResponse,
  ProfileEvent,
  ProfileResource,
  Tag,
} from 'passfort'

export async function operations(client: PassFort, signal: AbortSignal): Promise<void> {
  const profile: ProfileResource = await client.profiles.create({ role: 'INDIVIDUAL_CUSTOMER' })
  const id = String(profile.id)
  const applications: Application[] = await client.applications.list(id, { timeoutMs: 5000, maxRetries: 1, signal })
  const created: Application = await client.applications.create(id, { product: { alias: 'individual-account' } }, { headers: { 'X-Trace': 't' } })
  if (created.status === 'APPROVED' || created.status === 'A_STATUS_ADDED_LATER') void created.flag
  await client.applications.revertDecision(id, String(applications[0]?.id))
  await client.status.set(id, 'SUSPENDED')
  const events: ProfileEvent[] = await client.events.bulkUpdate(id, [{ id: 'e', resolution: 'MATCH' }])
  const event: ProfileEvent = await client.events.create(id, { data: { event_type: 'PEP_FLAG' } })
  const resolution: string | undefined = event.resolution
  const tags: Tag[] = await client.tags.search('vip', { query: { limit: 5 } })
  const notes: Note[] = await client.notes.list(id, 't')
  const image: DocumentImage = await client.documents.getImage(id, 'i')
  const check: CheckResource = await client.checks.run(id, { check_type: 'IDENTITY_CHECK' }, { query: { mode: 'sync' } })
  void [events, resolution, tags, notes, image, check.decision]
  await client.profiles.list({ query: { q: 'smith', limit: 10 } })
  const raw: PassFortResponse<EntityData> = await client.withRawResponse.collectedData.update(id, {}, { ifMatch: 'W/"1"' })
  const etag: string | null = raw.etag
  const bytes: Buffer = raw.raw
  void etag
  void bytes
  const any: PassFortResponse = await client.request('GET', '/whoami', { query: { a: 'b' }, signal })
  void any.requestId
  const whoami: JsonObject = (await client.request('GET', '/whoami')).body as JsonObject
  void whoami
  // @ts-expect-error a required body
  await client.applications.create(id)
  // @ts-expect-error a field of the wrong type in a body
  await client.applications.create(id, { product: { alias: 1 } })
  // @ts-expect-error a field the body does not have
  await client.tags.add(id, { nmae: 'VIP' })
  // @ts-expect-error a field the result does not have
  void (await client.tags.add(id, { name: 'VIP' })).nmae
  // @ts-expect-error a query parameter the operation does not take
  await client.profiles.list({ query: { nope: 'x' } })
  // @ts-expect-error a path parameter is a string
  await client.profiles.get(42)
}
