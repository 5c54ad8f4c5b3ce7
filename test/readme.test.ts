import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { fetchPortalPrefill, landTransferForm } from '../examples/portal-client/prefill.ts';
import { TEST_API_KEYS, type TestCredential } from '../lib/devkit/test-credentials.ts';
import { readmeCallerOf, readReadmeExamples, type ReadmeExample } from './support/readme-examples.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * The README's examples are executable: each `<!-- example: NAME [system=fault] [as=caller] -->`
 * marker is followed by a graphql block, optionally a variables block, and the answer block. Each
 * runs against the real gateway on the mocks, as the caller named (by default the officer of the
 * development credentials, for a land transfer), and must give exactly the answer shown.
 */
const examples = readReadmeExamples();
let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

describe('README examples', () => {
  it('has one for each kind of user', () => {
    expect(examples.map((e) => e.name)).toEqual([
      'portal',
      'portal-social-insurance',
      'outage',
      'auditor',
      'agencies-by-date',
      'units-as-of-a-date',
      'auditor-connections',
      'auditor-figures',
      'partial-denial',
      'citizen-view',
      'auditor-access-log',
      'reuse-statistics',
    ]);
  });

  /** The example's caller as a test credential: the test key set's land officer, auditor, or a signed-in citizen. */
  async function credentialOf(example: ReadmeExample): Promise<TestCredential> {
    const { identity, purpose, caseNumber } = readmeCallerOf(example);
    if (identity === 'citizen') return { bearer: await system.issuers.citizenToken(NAMED_IDS.head), purpose, caseNumber };
    const apiKeys = { officer: 'landOfficer', insuranceOfficer: 'insuranceOfficer', auditor: 'auditor' } as const;
    return { apiKey: apiKeys[identity], purpose, caseNumber };
  }

  it.each(examples.map((e) => [e.name, e] as const))('%s gives the documented answer', async (_name, example) => {
    for (const [id, mode] of example.faults) system.mocks[id].setFault({ mode });
    try {
      const { status, body } = await system.query(example.query, example.variables, { as: await credentialOf(example) });
      expect(status).toBe(200);
      expect(body).toEqual(example.answer);
    } finally {
      for (const [id] of example.faults) system.mocks[id].setFault({ mode: 'ok' });
    }
  });

  it('the typed portal client (examples/portal-client) gets the portal answer and fills the form from it', async () => {
    const portal = examples.find((e) => e.name === 'portal')!;
    const officer = { credential: { apiKey: TEST_API_KEYS.landOfficer.key }, purposeCode: 'land-transfer', caseNumber: 'HS-2026-0001' };
    const answer = await fetchPortalPrefill(system.gateway.graphqlUrl, officer, { personalId: NAMED_IDS.head });
    expect(answer).toEqual(portal.answer);
    expect(landTransferForm(answer.data!.citizen!)).toMatchObject({
      personalId: NAMED_IDS.head,
      spouse: { personalId: NAMED_IDS.wife },
      parcels: [{ coOwners: [NAMED_IDS.wife] }],
    });
  });

  it('portal, with the land system down, still gives every population and civil-status field, and one error naming land', async () => {
    const portal = examples.find((e) => e.name === 'portal')!;
    const documented = portal.answer as { data: { citizen: Record<string, unknown> } };
    system.mocks.land.setFault({ mode: 'down' });
    try {
      const { status, body } = await system.query(portal.query, portal.variables);
      expect(status).toBe(200);
      expect(body).toEqual({
        data: { citizen: { ...documented.data.citizen, landParcels: null } },
        errors: [
          {
            message: 'The land system (Bộ Nông nghiệp và Môi trường) is unavailable.',
            path: ['citizen', 'landParcels'],
            extensions: { code: 'SYSTEM_UNAVAILABLE', system: 'land' },
          },
        ],
      });
    } finally {
      system.mocks.land.setFault({ mode: 'ok' });
    }
  });
});
