import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCredentials } from '../lib/devkit/dev-credentials.ts';
import type { FaultMode } from '../lib/devkit/mock-server.ts';
import { startServices, systemLayout, withFreePorts, type ServiceGroup } from '../lib/devkit/services.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { SYSTEM_IDS, SYSTEMS, systemLabel, type SystemId } from '../lib/runtime/systems.ts';
import type { GraphQLBody } from '../lib/devkit/in-process-system.ts';

/**
 * The whole system as nine real processes on loopback, as `npm start` runs it, with each backend
 * failing in each way its mock can: the query across all four systems still answers, with the
 * failed system's fields null and one documented error for each, and is whole again once the
 * backend recovers and its circuit closes. Deadlines are the defaults (a slow backend costs 2 s);
 * the circuit's half-open wait is shortened so that recovery is quick.
 */

const CROSS_SECTOR = `query CrossSector($id: ID!) {
  citizen(personalId: $id) {
    fullName
    permanentResidence { province { name } }
    birthRegistration { registrationNumber }
    landParcels { parcelId }
  }
  province(code: "001") { name civilStatusDigitization { status } landDigitization { status } }
}`;

const COMPLETE = {
  citizen: {
    fullName: 'Nguyễn Văn An',
    permanentResidence: { province: { name: 'Hà Nội' } },
    birthRegistration: { registrationNumber: '67/1985' },
    landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }],
  },
  province: { name: 'Hà Nội', civilStatusDigitization: { status: 'NOT_REPORTED' }, landDigitization: { status: 'NOT_REPORTED' } },
};

/** What the answer is without one system: its fields null, everything else as whole, and where the errors are. A system the query does not read leaves it whole (`without`). */
const WITHOUT: Partial<Record<SystemId, { data: unknown; paths: (string | number)[][] }>> & Record<'land', { data: unknown; paths: (string | number)[][] }> = {
  population: { data: { ...COMPLETE, citizen: null }, paths: [['citizen']] },
  'civil-status': {
    data: {
      citizen: { ...COMPLETE.citizen, birthRegistration: null },
      province: { ...COMPLETE.province, civilStatusDigitization: null },
    },
    paths: [
      ['citizen', 'birthRegistration'],
      ['province', 'civilStatusDigitization'],
    ],
  },
  land: {
    data: { citizen: { ...COMPLETE.citizen, landParcels: null }, province: { ...COMPLETE.province, landDigitization: null } },
    paths: [
      ['citizen', 'landParcels'],
      ['province', 'landDigitization'],
    ],
  },
  'public-services': {
    data: { citizen: { ...COMPLETE.citizen, permanentResidence: { province: null } }, province: null },
    paths: [['province'], ['citizen', 'permanentResidence', 'province']],
  },
};

const FAULTS: { mode: FaultMode; code: string }[] = [
  { mode: 'down', code: 'SYSTEM_UNAVAILABLE' },
  { mode: 'slow', code: 'SYSTEM_TIMEOUT' },
  { mode: 'error', code: 'SYSTEM_UNAVAILABLE' },
  { mode: 'malformed', code: 'SYSTEM_BAD_RESPONSE' },
  { mode: 'truncated', code: 'SYSTEM_UNAVAILABLE' },
  { mode: 'reset', code: 'SYSTEM_UNAVAILABLE' },
];

const MESSAGES: Record<string, string> = {
  SYSTEM_UNAVAILABLE: 'is unavailable.',
  SYSTEM_TIMEOUT: 'did not answer in time.',
  SYSTEM_BAD_RESPONSE: 'returned an answer that breaks its contract.',
};

let group: ServiceGroup;
let apiKey: string;
const devRoot = mkdtempSync(join(tmpdir(), 'lien-thong-failures-'));
beforeAll(async () => {
  // A development key set of its own, as `npm start` makes one.
  const dev = await ensureDevCredentials(devRoot);
  apiKey = dev.credentials.apiKey;
  // Each fault must reach the query: without this, fresh provinces from public-services' reference-data
  // cache, or from the gateway's caches of public subgraph answers and of whole public answers, would
  // hide its outage for max-age (that behaviour is the subject of test/reference-cache.test.ts and
  // test/public-responses.test.ts).
  const layout = systemLayout(
    await withFreePorts({
      ...process.env,
      ...dev.env,
      LOG_LEVEL: 'warn',
      PUBLIC_SERVICES_BACKEND_CACHE_ENTRIES: '0',
      PUBLIC_ANSWER_CACHE_ENTRIES: '0',
      PUBLIC_RESPONSE_CACHE_BYTES: '0',
    }),
  );
  const extraEnvByService: Record<string, NodeJS.ProcessEnv> = {};
  for (const id of SYSTEM_IDS) {
    const { envPrefix } = SYSTEMS[id];
    extraEnvByService[`${id}-subgraph`] = { [`${envPrefix}_BREAKER_HALF_OPEN_MS`]: '200', [`${envPrefix}_BREAKER_MAX_HALF_OPEN_MS`]: '200' };
  }
  group = await startServices(layout, { extraEnvByService });
}, 120_000);
afterAll(async () => {
  await group?.stopAll();
  rmSync(devRoot, { recursive: true, force: true });
});

const url = (service: string, path: string) => `${group.get(service).url}${path}`;

async function query(): Promise<GraphQLBody> {
  const response = await fetch(url('gateway', '/graphql'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': 'HS-2026-0001' },
    body: JSON.stringify({ query: CROSS_SECTOR, variables: { id: NAMED_IDS.head } }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphQLBody;
}

async function setFault(system: SystemId, mode: FaultMode): Promise<void> {
  const body = mode === 'slow' ? { mode, latencyMs: 60_000 } : { mode };
  const response = await fetch(url(`mock-${system}`, '/_mock/fault'), { method: 'PUT', body: JSON.stringify(body) });
  expect(response.status).toBe(200);
}

/** Asks until the answer is whole again (the circuit lets a trial call through, which closes it), at most 50 times. */
async function untilWhole(): Promise<GraphQLBody> {
  let body = await query();
  for (let attempt = 0; attempt < 50 && body.errors; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    body = await query();
  }
  return body;
}

async function readiness(system: SystemId): Promise<{ status: number; body: { calls: { circuit: string } } }> {
  const response = await fetch(url(`${system}-subgraph`, '/ready'));
  return { status: response.status, body: (await response.json()) as { calls: { circuit: string } } };
}

describe.each(SYSTEM_IDS)('when the %s backend fails', (system) => {
  it.each(FAULTS)(
    '$mode: the others still answer, its fields carry $code, and the answer is whole once it recovers',
    async ({ mode, code }) => {
      expect(await query()).toEqual({ data: COMPLETE });
      await setFault(system, mode);
      let failed: GraphQLBody;
      try {
        failed = await query();
      } finally {
        await setFault(system, 'ok');
      }
      const without = WITHOUT[system] ?? { data: COMPLETE, paths: [] };
      expect(failed.data).toEqual(without.data);
      expect((failed.errors ?? []).map((e) => e.path)).toEqual(expect.arrayContaining(without.paths));
      expect(failed.errors ?? []).toHaveLength(without.paths.length);
      for (const error of failed.errors ?? []) {
        expect(error.extensions).toEqual({ code, system });
        expect(error.message).toBe(`${systemLabel(system)} ${MESSAGES[code]}`);
      }
      const text = JSON.stringify(failed);
      for (const leak of ['127.0.0.1', 'http://', 'db-01', 'Internal Server Error', 'stack', '"records"']) expect(text).not.toContain(leak);

      expect(await untilWhole()).toEqual({ data: COMPLETE });
      expect((await readiness(system)).body.calls.circuit).toBe('CLOSED');
    },
    30_000,
  );
});

describe('the circuit, seen from outside', () => {
  it('opens while a backend stays down, shows in the subgraph’s /ready, and closes once it is back', async () => {
    await setFault('land', 'down');
    try {
      for (let i = 0; i < 5 && (await readiness('land')).body.calls.circuit !== 'OPEN'; i++) await query();
      const ready = await readiness('land');
      expect(ready.status).toBe(503);
      expect(ready.body.calls.circuit).toBe('OPEN');
      expect((await query()).errors?.every((e) => e.extensions?.code === 'SYSTEM_UNAVAILABLE' && e.extensions.system === 'land')).toBe(true);
    } finally {
      await setFault('land', 'ok');
    }
    expect(await untilWhole()).toEqual({ data: COMPLETE });
    expect(await readiness('land')).toMatchObject({ status: 200, body: { calls: { circuit: 'CLOSED' } } });
  }, 30_000);
});

describe('a subgraph process that is killed and restarted', () => {
  it('costs only its fields while it is gone, and the answer is whole again after the restart', async () => {
    const land = group.get('land-subgraph');
    await land.kill();
    let failed: GraphQLBody;
    try {
      failed = await query();
    } finally {
      await land.restart();
    }
    expect(failed.data).toEqual(WITHOUT.land.data);
    // The two land fetches run in parallel: their errors come in either order.
    expect(failed.errors).toHaveLength(WITHOUT.land.paths.length);
    expect(failed.errors).toEqual(
      expect.arrayContaining(
        WITHOUT.land.paths.map((path) => ({
          message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.',
          path,
          extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
        })),
      ),
    );
    expect(await query()).toEqual({ data: COMPLETE });
  }, 60_000);

  it('left no process crashed and logged no unhandled failure', () => {
    for (const service of group.services) {
      expect(service.running, `${service.name} is running`).toBe(true);
      expect(service.unhandledFailures(), service.name).toEqual([]);
    }
  });
});
