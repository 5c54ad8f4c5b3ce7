import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { credentialHeaders, DEFAULT_CREDENTIAL } from '../lib/devkit/test-credentials.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * No access record is lost under load: 1,000 concurrent requests for 1,000 different citizens
 * through the real gateway write exactly 1,000 records, one per request and citizen, in one
 * intact chain — with the embedded SQLite log and with PostgreSQL (a real server started here).
 */
const REQUESTS = 1000;
const ids = Array.from({ length: REQUESTS }, (_, i) => encodePersonalId('079', i % 2 ? 'FEMALE' : 'MALE', 1950 + (i % 60), 100_000 + i));

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

describe.each([
  ['SQLite', () => ({})],
  ['PostgreSQL', () => ({ databaseUrl: postgres.url })],
])('%s access log', (_store, access) => {
  let system: RunningSystem;
  beforeAll(async () => {
    // A generous deadline: this test is about no record lost, not speed, and the machine may be loaded.
    system = await startSystem({ requestTimeoutMs: 60_000, access: access() });
  });
  afterAll(() => system?.close());

  it(`writes exactly ${REQUESTS} records for ${REQUESTS} concurrent requests, none lost, in one intact chain`, async () => {
    const statuses = await Promise.all(
      ids.map(async (id, i) => {
        const response = await fetch(system.gateway.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `load-${i}`, ...credentialHeaders(DEFAULT_CREDENTIAL) },
          body: JSON.stringify({ query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: { id } }),
        });
        const body = (await response.json()) as { data?: { citizen: { fullName: string } | null } };
        return response.status === 200 && typeof body.data?.citizen?.fullName === 'string';
      }),
    );
    expect(statuses.filter(Boolean)).toHaveLength(REQUESTS);

    const log = system.gateway.accessLog!;
    const written = await log.query({ limit: 10_000 });
    expect(written).toHaveLength(REQUESTS);
    expect(new Set(written.map((record) => record.requestId)).size).toBe(REQUESTS);
    expect(new Set(written.map((record) => record.personalId))).toEqual(new Set(ids));
    expect(written.every((record) => record.requestId === `load-${ids.indexOf(record.personalId)}`)).toBe(true);
    expect(written.map((record) => record.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
    const verification = await log.verify();
    expect(verification).toMatchObject({ intact: true, records: REQUESTS, problems: [] });
  }, 240_000);
});
