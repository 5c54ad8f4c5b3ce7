import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callHash, signCallerAssertion } from '../lib/access/caller-assertion.ts';
import { CALLER_ASSERTION_HEADER, type Caller } from '../lib/access/caller.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { credentialHeaders, TEST_CALLER_SECRET, type TestCredential } from '../lib/devkit/test-credentials.ts';
import { startSystem, type GraphQLBody, type RunningSystem } from '../lib/devkit/in-process-system.ts';

/**
 * Who may see what, and who saw it, through the real gateway and subgraphs: the policy's access
 * matrix, credentials that must be refused, a subgraph reached without the gateway, the access
 * records written for each answer and the views on them.
 */
let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const HEAD = NAMED_IDS.head;
const LAND_OFFICER: TestCredential = { apiKey: 'landOfficer', purpose: 'land-transfer', caseNumber: 'HS-2026-0001' };
const JUSTICE_OFFICER: TestCredential = { apiKey: 'justiceOfficer', purpose: 'birth-registration', caseNumber: 'KS-2026-0042' };
const AUDITOR: TestCredential = { apiKey: 'auditor', purpose: null, caseNumber: null };

const CROSS_SECTOR = `query($id: ID!) { citizen(personalId: $id) { fullName maritalStatus birthRegistration { registrationNumber } landParcels { parcelId } } }`;

async function records(filter: Record<string, unknown> = {}) {
  return system.gateway.accessLog!.query({ limit: 1000, ...filter });
}

async function recordsOf(requestId: string) {
  return (await records()).filter((record) => record.requestId === requestId);
}

async function post(body: unknown, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: GraphQLBody }> {
  const response = await fetch(system.gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
}

describe('the access matrix of the policy', () => {
  beforeEach(() => system.resetCounters());

  it('allowed: the land officer for a land transfer gets every system’s data, and one record says so', async () => {
    const response = await post({ query: CROSS_SECTOR, variables: { id: HEAD } }, { ...credentialHeaders(LAND_OFFICER), 'x-request-id': 'matrix-allowed' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: {
        citizen: { fullName: 'Nguyễn Văn An', maritalStatus: 'MARRIED', birthRegistration: { registrationNumber: '67/1985' }, landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] },
      },
    });
    expect(await recordsOf('matrix-allowed')).toEqual([
      expect.objectContaining({
        agency: 'BNNMT',
        officer: 'can-bo-01',
        purpose: 'land-transfer',
        caseNumber: 'HS-2026-0001',
        personalId: HEAD,
        fields: ['birthRegistration', 'birthRegistration.registrationNumber', 'fullName', 'landParcels', 'landParcels.parcelId', 'maritalStatus'],
        deniedFields: [],
        outcome: 'RETURNED',
      }),
    ]);
  });

  it('partially denied: the justice officer for a birth registration gets all but land, which is null with FORBIDDEN naming the field and the rule', async () => {
    const response = await post({ query: CROSS_SECTOR, variables: { id: HEAD } }, { ...credentialHeaders(JUSTICE_OFFICER), 'x-request-id': 'matrix-partial' });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({
      citizen: { fullName: 'Nguyễn Văn An', maritalStatus: 'MARRIED', birthRegistration: { registrationNumber: '67/1985' }, landParcels: null },
    });
    expect(response.body.errors).toEqual([
      {
        message:
          'Access to Citizen.landParcels (land) is denied for agency BTP with purpose birth-registration: rule civil-status-registration (Luật Hộ tịch 2014 (Law on Civil Status, 60/2014/QH13); Luật Bảo vệ dữ liệu cá nhân 2025 (Law on Personal Data Protection, 91/2025/QH15)) grants identity, residence, family, civil-status.',
        path: ['citizen', 'landParcels'],
        extensions: { code: 'FORBIDDEN', field: 'Citizen.landParcels', category: 'land', rules: ['civil-status-registration'] },
      },
    ]);
    // The denied field was never asked for: the land backend was not called.
    expect(system.backendRequests().land).toBe(0);
    expect(await recordsOf('matrix-partial')).toEqual([
      expect.objectContaining({
        agency: 'BTP',
        purpose: 'birth-registration',
        personalId: HEAD,
        fields: ['birthRegistration', 'birthRegistration.registrationNumber', 'fullName', 'maritalStatus'],
        deniedFields: ['Citizen.landParcels'],
        outcome: 'PARTIALLY_DENIED',
      }),
    ]);
  });

  it('identity verification reads identity only: family and residence are denied, each at its own path', async () => {
    const response = await system.query(
      `{ citizen(personalId: "${HEAD}") { fullName sex father { fullName } permanentResidence { fullAddress } } }`,
      {},
      { as: { apiKey: 'justiceOfficer', purpose: 'identity-verification', caseNumber: 'XT-1' } },
    );
    expect(response.body.data).toEqual({ citizen: { fullName: 'Nguyễn Văn An', sex: 'MALE', father: null, permanentResidence: null } });
    expect(response.body.errors?.map((error) => [error.path, error.extensions?.field])).toEqual([
      [['citizen', 'father'], 'Citizen.father'],
      [['citizen', 'permanentResidence'], 'Citizen.permanentResidence'],
    ]);
  });

  it('decides each item of a list on its own: a denial at every index, fragments and aliases as the client wrote them, a record per citizen', async () => {
    const response = await post(
      {
        query: `query($ids: [ID!]!) { citizens(personalIds: $ids) { ...Person name: fullName ... on Citizen { sex } } } fragment Person on Citizen { fullName father { fullName } }`,
        variables: { ids: [HEAD, NAMED_IDS.wife] },
      },
      { ...credentialHeaders({ apiKey: 'justiceOfficer', purpose: 'identity-verification', caseNumber: 'XT-3' }), 'x-request-id': 'matrix-list' },
    );
    expect(response.body.data).toEqual({
      citizens: [
        { fullName: 'Nguyễn Văn An', father: null, name: 'Nguyễn Văn An', sex: 'MALE' },
        { fullName: expect.any(String), father: null, name: expect.any(String), sex: 'FEMALE' },
      ],
    });
    expect(response.body.errors?.map((error) => [error.path, error.extensions?.field])).toEqual([
      [['citizens', 0, 'father'], 'Citizen.father'],
      [['citizens', 1, 'father'], 'Citizen.father'],
    ]);
    const written = await recordsOf('matrix-list');
    expect(Object.fromEntries(written.map((record) => [record.personalId, [record.fields, record.deniedFields, record.outcome]]))).toEqual({
      [HEAD]: [['fullName', 'sex'], ['Citizen.father'], 'PARTIALLY_DENIED'],
      [NAMED_IDS.wife]: [['fullName', 'sex'], ['Citizen.father'], 'PARTIALLY_DENIED'],
    });
  });

  it('denied: an agency no rule names gets no personal field, and the attempt is recorded as DENIED', async () => {
    const response = await post(
      { query: `{ citizen(personalId: "${HEAD}") { personalId fullName } }` },
      { ...credentialHeaders({ apiKey: 'otherOfficer', purpose: 'land-transfer', caseNumber: 'X-1' }), 'x-request-id': 'matrix-denied' },
    );
    expect(response.body.data).toEqual({ citizen: { personalId: HEAD, fullName: null } });
    expect(response.body.errors).toEqual([
      expect.objectContaining({
        message:
          'Access to Citizen.fullName (identity) is denied for agency BXD with purpose land-transfer: no rule of access policy 2026-12-03 grants agency BXD with purpose land-transfer any personal data.',
        extensions: { code: 'FORBIDDEN', field: 'Citizen.fullName', category: 'identity', rules: [] },
      }),
    ]);
    expect(await recordsOf('matrix-denied')).toEqual([
      expect.objectContaining({ agency: 'BXD', personalId: HEAD, fields: ['personalId'], deniedFields: ['Citizen.fullName'], outcome: 'DENIED' }),
    ]);
  });

  it('a denied root field is null, and the lookup it named is recorded for that citizen', async () => {
    const response = await post(
      { query: `{ birthRegistration(personalId: "${HEAD}") { registrationNumber } }` },
      { ...credentialHeaders({ apiKey: 'justiceOfficer', purpose: 'identity-verification', caseNumber: 'XT-2' }), 'x-request-id': 'matrix-root' },
    );
    expect(response.body.data).toEqual({ birthRegistration: null });
    expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', field: 'Query.birthRegistration', category: 'civil-status', rules: ['identity-verification'] });
    expect(await recordsOf('matrix-root')).toEqual([expect.objectContaining({ personalId: HEAD, fields: [], deniedFields: ['Query.birthRegistration'], outcome: 'DENIED' })]);
  });

  it('records every citizen in the answer: relatives each get their own record, a parcel its right holders', async () => {
    await post(
      { query: `{ citizen(personalId: "${HEAD}") { fullName spouse { fullName } } landParcel(parcelId: "TD-001-CG-0012-0345") { area } }` },
      { ...credentialHeaders(LAND_OFFICER), 'x-request-id': 'matrix-relatives' },
    );
    const written = await recordsOf('matrix-relatives');
    const byCitizen = Object.fromEntries(written.map((record) => [record.personalId, record.fields]));
    expect(byCitizen[HEAD]).toEqual(['fullName', 'landParcel', 'landParcel.area', 'spouse']);
    expect(byCitizen[NAMED_IDS.wife]).toEqual(['fullName', 'landParcel', 'landParcel.area']);
    expect(written).toHaveLength(2);
  });

  it('records the citizen an ID argument names however it is written: a variable’s default, a number', async () => {
    const son = NAMED_IDS.son;
    await post(
      { query: `query($id: ID! = "${son}") { birthRegistration(personalId: $id) { registrationNumber } }` },
      { ...credentialHeaders(LAND_OFFICER), 'x-request-id': 'matrix-default' },
    );
    expect(await recordsOf('matrix-default')).toEqual([expect.objectContaining({ personalId: son, fields: ['birthRegistration', 'birthRegistration.registrationNumber'] })]);
    // An ID outside the 63 province codes (a birth registered abroad) written as a number.
    const abroad = '101085012345';
    const response = await post(
      { query: 'query($id: ID!) { verifyCitizen(personalId: $id, fullName: "X", dateOfBirth: "1985") { match } }', variables: { id: Number(abroad) } },
      { ...credentialHeaders(LAND_OFFICER), 'x-request-id': 'matrix-number' },
    );
    expect(response.body.data).toEqual({ verifyCitizen: { match: false } });
    expect(await recordsOf('matrix-number')).toEqual([expect.objectContaining({ personalId: abroad, fields: ['verifyCitizen', 'verifyCitizen.match'] })]);
  });

  it('records that a citizen exists even when the answer names no field of theirs', async () => {
    const response = await post(
      { query: `{ citizens(personalIds: ["${HEAD}", "001085000000"]) { __typename } }` },
      { ...credentialHeaders(LAND_OFFICER), 'x-request-id': 'matrix-existence' },
    );
    expect(response.body.data).toEqual({ citizens: [{ __typename: 'Citizen' }, null] });
    expect(await recordsOf('matrix-existence')).toEqual([expect.objectContaining({ personalId: HEAD, fields: [], outcome: 'RETURNED' })]);
  });

  it('applies a @skip variable’s default as execution does', async () => {
    const response = await system.query(`query($skip: Boolean = true) { citizen(personalId: "${HEAD}") { fullName @skip(if: $skip) personalId } }`);
    expect(response).toEqual({ status: 200, body: { data: { citizen: { personalId: HEAD } } } });
  });

  it('asks nothing and records nothing for programme statistics, which stay readable without credentials', async () => {
    const before = (await records()).length;
    const response = await post({ query: '{ provinces { code } connections { status } }' }, {});
    expect(response.status).toBe(200);
    expect((response.body.data?.provinces as unknown[]).length).toBe(34);
    expect((await records()).length).toBe(before);
  });
});

describe('who is calling', () => {
  const personal = { query: `{ citizen(personalId: "${HEAD}") { fullName } }` };

  it('refuses personal data without a credential: 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const response = await post(personal, {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="lien-thong"');
    expect(response.body).toEqual({
      errors: [
        {
          message:
            'This operation reads personal data: send an agency credential (Authorization: Bearer <token> or x-api-key) with the purpose headers x-purpose-code and x-case-number.',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
    expect(system.backendRequests().population).toBe(0);
  });

  it('refuses an officer without a purpose or a case, naming what is missing', async () => {
    const response = await post(personal, credentialHeaders({ apiKey: 'landOfficer', purpose: 'land-transfer', caseNumber: null }));
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.message).toBe('This operation reads personal data: state its purpose with x-case-number.');
  });

  it('refuses a purpose the policy does not know: 403', async () => {
    const response = await post(personal, credentialHeaders({ apiKey: 'landOfficer', purpose: 'curiosity', caseNumber: 'X' }));
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]).toMatchObject({ message: 'Purpose curiosity is not in access policy 2026-12-03.', extensions: { code: 'FORBIDDEN' } });
  });

  it('accepts a token of a trusted issuer, with the purpose in headers', async () => {
    const token = await system.issuers.officerToken({ sub: 'can-bo-07', agency: 'BNNMT' });
    const response = await post(personal, credentialHeaders({ bearer: token, purpose: 'land-transfer', caseNumber: 'HS-7' }));
    expect(response).toMatchObject({ status: 200, body: { data: { citizen: { fullName: 'Nguyễn Văn An' } } } });
  });

  const refused: [string, () => Promise<string>, string][] = [
    ['forged: signed by another key in the trusted issuer’s name', async () => system.issuers.officerToken({}, { key: (await generateKeyPair('ES256')).privateKey }), 'signature'],
    ['expired', () => system.issuers.officerToken({}, { issuedAt: Math.floor(Date.now() / 1000) - 3600, expiresAt: Math.floor(Date.now() / 1000) - 600 }), 'expired'],
    ['from a foreign issuer', () => system.issuers.officerToken({}, { issuer: 'https://idp.example.org' }), 'not trusted'],
    ['for another audience', () => system.issuers.officerToken({}, { audience: 'another-system' }), 'audience'],
  ];
  for (const [name, token, problem] of refused) {
    it(`refuses a token ${name}: 401, even for public data, and says why without echoing it`, async () => {
      const bearer = await token();
      const response = await post({ query: '{ provinces { code } }' }, credentialHeaders({ bearer, purpose: 'land-transfer', caseNumber: 'HS-1' }));
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(response.body.errors?.[0]?.message).toContain(problem);
      expect(JSON.stringify(response.body)).not.toContain(bearer.split('.')[1]);
    });
  }

  it('refuses an unknown API key', async () => {
    const response = await post(personal, { 'x-api-key': 'not-a-key-of-this-gateway-at-all', 'x-purpose-code': 'land-transfer', 'x-case-number': 'X' });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.message).toContain('unknown API key');
  });

  it('answers personal data to officers only: a citizen is sent to myDataAccessLog', async () => {
    const response = await post(personal, credentialHeaders({ bearer: await system.issuers.citizenToken(HEAD) }));
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]?.message).toContain('myDataAccessLog');
  });

  it('refuses aliases in the gateway’s reserved prefix with 400, naming the alias, every time the same query comes', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await system.query(`{ citizen(personalId: "${HEAD}") { fullName _lt_id: fullName } }`);
      expect(response.status).toBe(400);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toEqual([
        { message: "Alias _lt_id is reserved: aliases starting with _lt_ are the gateway's own.", extensions: { code: 'BAD_USER_INPUT', alias: '_lt_id' } },
      ]);
    }
  });
});

describe('a subgraph reached without the gateway', () => {
  const LAND_PARCELS = { query: `{ _entities(representations: [{ __typename: "Citizen", personalId: "${HEAD}" }]) { ... on Citizen { landParcels { parcelId } } } }` };

  async function callSubgraph(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${system.subgraphs.land.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as GraphQLBody };
  }
  const justiceOfficer: Caller = { kind: 'officer', agency: 'BTP', officer: 'x', roles: [], purpose: 'birth-registration', caseNumber: 'KS-1', issuer: 'api-key' };
  const landOfficer: Caller = { ...justiceOfficer, agency: 'BNNMT', purpose: 'land-transfer' };
  /** An assertion as the gateway signs it, for one call of `body` to `subgraph`. */
  const assertionFor = (caller: Caller, body: { query: string; variables?: unknown }, subgraph = 'land', secret = TEST_CALLER_SECRET) =>
    signCallerAssertion(caller, { secret, requestId: 'r', subgraph, queryHash: callHash(body.query, body.variables) });

  it('refuses personal data without the gateway’s caller assertion', async () => {
    system.resetCounters();
    const response = await callSubgraph(LAND_PARCELS);
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'Personal data is answered only to callers verified by the gateway (no caller assertion from the gateway).',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(system.backendRequests().land).toBe(0);
  });

  it('refuses an assertion signed with another secret', async () => {
    const forged = await assertionFor(landOfficer, LAND_PARCELS, 'land', new TextEncoder().encode('not-the-gateway-secret-0123456789abcdef'));
    const response = await callSubgraph(LAND_PARCELS, { [CALLER_ASSERTION_HEADER]: forged });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.message).toContain('caller assertion rejected');
  });

  it('enforces the same policy: a verified caller is refused fields the policy denies', async () => {
    const response = await callSubgraph(LAND_PARCELS, { [CALLER_ASSERTION_HEADER]: await assertionFor(justiceOfficer, LAND_PARCELS) });
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(response.body.errors?.[0]?.message).toContain('Access to Citizen.landParcels (land) is denied for agency BTP');
  });

  it('answers a verified caller the policy allows, once per assertion', async () => {
    const assertion = await assertionFor(landOfficer, LAND_PARCELS);
    const response = await callSubgraph(LAND_PARCELS, { [CALLER_ASSERTION_HEADER]: assertion });
    expect(response.body).toEqual({ data: { _entities: [{ landParcels: [{ parcelId: 'TD-001-CG-0012-0345' }] }] } });
    const replayed = await callSubgraph(LAND_PARCELS, { [CALLER_ASSERTION_HEADER]: assertion });
    expect(replayed.status).toBe(401);
    expect(replayed.body.errors?.[0]?.message).toContain('caller assertion rejected: already used');
  });

  it('refuses an assertion made for another query, other citizens or another subgraph', async () => {
    const other = { query: LAND_PARCELS.query.replace(HEAD, NAMED_IDS.wife) };
    const forOtherCitizen = await callSubgraph(other, { [CALLER_ASSERTION_HEADER]: await assertionFor(landOfficer, LAND_PARCELS) });
    expect(forOtherCitizen.status).toBe(401);
    expect(forOtherCitizen.body.errors?.[0]?.message).toContain('issued for another query');
    const forPopulation = await callSubgraph(LAND_PARCELS, { [CALLER_ASSERTION_HEADER]: await assertionFor(landOfficer, LAND_PARCELS, 'population') });
    expect(forPopulation.status).toBe(401);
    expect(forPopulation.body.errors?.[0]?.message).toContain('aud');
  });

  it('sees a bare __typename of entities as personal: whether a person exists is personal data', async () => {
    const existence = { query: `{ _entities(representations: [{ __typename: "Citizen", personalId: "${HEAD}" }]) { __typename } }` };
    const response = await fetch(`${system.subgraphs.population.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(existence),
    });
    expect(response.status).toBe(401);
  });

  it('answers public data without any assertion', async () => {
    const response = await fetch(`${system.subgraphs['public-services'].url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ province(code: "001") { name } }' }),
    });
    expect(await response.json()).toEqual({ data: { province: { name: 'Hà Nội' } } });
  });
});

describe('the views on the access log', () => {
  const MINE = '{ myDataAccessLog { agencyCode agency { name } purpose { code name } caseNumber fields outcome } }';

  it('shows the citizen who accessed their data, when and why — and nobody else’s', async () => {
    const son = NAMED_IDS.son;
    await system.query(`{ citizen(personalId: "${son}") { fullName } }`, {}, { as: { apiKey: 'landOfficer', purpose: 'land-transfer', caseNumber: 'HS-SON-1' } });
    const response = await system.query(MINE, {}, { as: { bearer: await system.issuers.citizenToken(son) } });
    expect(response.status).toBe(200);
    const events = (response.body.data?.myDataAccessLog ?? []) as Record<string, unknown>[];
    expect(events[0]).toEqual({
      agencyCode: 'BNNMT',
      agency: { name: 'Bộ Nông nghiệp và Môi trường' },
      purpose: { code: 'land-transfer', name: 'Đăng ký biến động đất đai (registration of a change of land-use rights)' },
      caseNumber: 'HS-SON-1',
      fields: ['fullName'],
      outcome: 'RETURNED',
    });
    const other = await system.query(MINE, {}, { as: { bearer: await system.issuers.citizenToken(NAMED_IDS.grandmother) } });
    expect((other.body.data?.myDataAccessLog as unknown[]).some((event) => (event as { caseNumber: string }).caseNumber === 'HS-SON-1')).toBe(false);
  });

  it('is refused to anyone but a signed-in citizen', async () => {
    expect((await system.query(MINE, {}, { as: null })).status).toBe(401);
    const officer = await system.query(MINE, {}, { as: LAND_OFFICER });
    expect(officer.status).toBe(403);
  });

  it('lets an auditor filter by agency, purpose, citizen and dates', async () => {
    await system.query(`{ citizen(personalId: "${NAMED_IDS.daughter}") { fullName } }`, {}, { as: JUSTICE_OFFICER });
    const response = await system.query(
      `query($filter: AccessLogFilter) { accessLog(filter: $filter) { seq agencyCode officer purpose { code } caseNumber personalId fields outcome hash } }`,
      { filter: { agency: 'BTP', purpose: 'birth-registration', personalId: NAMED_IDS.daughter, from: '2020-01-01', to: '2100-01-01' } },
      { as: AUDITOR },
    );
    expect(response.status).toBe(200);
    const entries = response.body.data?.accessLog as Record<string, unknown>[];
    expect(entries.length).toBeGreaterThan(0);
    expect(entries[0]).toMatchObject({
      agencyCode: 'BTP',
      officer: 'justice-officer-01',
      purpose: { code: 'birth-registration' },
      caseNumber: 'KS-2026-0042',
      personalId: NAMED_IDS.daughter,
      fields: ['fullName'],
    });
    expect(entries.every((entry) => entry.agencyCode === 'BTP' && entry.personalId === NAMED_IDS.daughter)).toBe(true);
    const future = await system.query(`{ accessLog(filter: { from: "2100-01-01" }) { seq } }`, {}, { as: AUDITOR });
    expect(future.body.data).toEqual({ accessLog: [] });
  });

  it('is refused to officers without the auditor role, and checks its filter', async () => {
    const officer = await system.query('{ accessLog { seq } }', {}, { as: LAND_OFFICER });
    expect(officer.status).toBe(403);
    const bad = await system.query('{ accessLog(filter: { personalId: "12" }) { seq } }', {}, { as: AUDITOR });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.personalId' });
  });

  it('exports the auditor’s view as CSV, for the auditor role only', async () => {
    const url = `${system.gateway.url}/audit/access-log.csv?agency=BTP&personalId=${NAMED_IDS.daughter}`;
    const csv = await fetch(url, { headers: credentialHeaders(AUDITOR) });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,at,agency,officer,purpose,case_number,personal_id,outcome,fields,denied_fields,request_id,hash');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((line) => line.includes(',BTP,justice-officer-01,birth-registration,') && line.includes(NAMED_IDS.daughter))).toBe(true);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: credentialHeaders(LAND_OFFICER) })).status).toBe(403);
    expect((await fetch(`${system.gateway.url}/audit/access-log.csv?from=yesterday`, { headers: credentialHeaders(AUDITOR) })).status).toBe(400);
  });
});

describe('fail closed', () => {
  it('returns no personal data when the access record cannot be written, and public data still', async () => {
    const broken = await startSystem();
    try {
      await broken.gateway.accessLog!.close();
      const response = await broken.query(CROSS_SECTOR, { id: HEAD });
      expect(response).toEqual({
        status: 503,
        body: {
          data: null,
          errors: [
            {
              message: 'The access log could not record this access, so no personal data is returned. Try again later.',
              extensions: { code: 'ACCESS_LOG_UNAVAILABLE' },
            },
          ],
        },
      });
      const publicData = await broken.query('{ province(code: "001") { name } }', {}, { as: null });
      expect(publicData).toEqual({ status: 200, body: { data: { province: { name: 'Hà Nội' } } } });
    } finally {
      await broken.close();
    }
  });

  it('can require credentials for public data too (PUBLIC_DATA_REQUIRES_CREDENTIALS)', async () => {
    const closed = await startSystem({ access: { publicDataRequiresCredentials: true } });
    try {
      expect((await closed.query('{ provinces { code } }', {}, { as: null })).status).toBe(401);
      expect((await closed.query('{ province(code: "001") { name } }', {}, { as: AUDITOR })).body).toEqual({ data: { province: { name: 'Hà Nội' } } });
    } finally {
      await closed.close();
    }
  });
});
