import { z } from 'zod';
import { historyProblems, type DatedEntry } from '../../../lib/domain/dated-history.ts';
import { everyCitedSourceListed, sourceRecordSchema, type SourceRecord } from '../../../lib/backend/sources.ts';
import { AGENCY_KIND_CODES } from '../../../lib/domain/agencies.ts';
import { carriesNothingUnreported, isoDateSchema, provinceCodeSchema, publishedDateSchema } from '../../../lib/backend/wire.ts';

/**
 * The public-services backend's wire format (see CONTRACT.md). Every answer is parsed with these
 * schemas where it enters; an answer that does not fit, including a citation of a source the
 * answer does not carry, is SYSTEM_BAD_RESPONSE.
 */
const text = z.string().min(1);

const connectionCode = z.enum(['DA_KET_NOI', 'CHUA_KET_NOI', 'DON_VI_VAN_HANH', 'CHUA_BAO_CAO']);
export type ConnectionCode = z.infer<typeof connectionCode>;

const vneidServiceCode = z.enum(['CHINH_THUC', 'THI_DIEM', 'CHUA_BAO_CAO']);
export type VneidServiceCode = z.infer<typeof vneidServiceCode>;

/**
 * The word a report puts before a number: HON (hơn, trên: more than), KHOANG (khoảng: about), GAN
 * (gần: nearly), IT_NHAT (ít nhất, tối thiểu: at least); null for a number printed without one.
 */
export const qualifierCode = z.enum(['HON', 'KHOANG', 'GAN', 'IT_NHAT']);
export type QualifierCode = z.infer<typeof qualifierCode>;

/** How an indicator's `asOf` is known (see CONTRACT.md). */
export const asOfBasisCode = z.enum(['STATED', 'PUBLICATION', 'RECORDED']);

export const agencyKindCode = z.enum(AGENCY_KIND_CODES);
export type AgencyKindCode = z.infer<typeof agencyKindCode>;

const UNREPORTED = ['CHUA_BAO_CAO', 'DON_VI_VAN_HANH'];
const carriesNothing = carriesNothingUnreported(UNREPORTED, ['since', 'statement', 'note', 'asOf']);

/**
 * A status taken from a published report must say when it held and which report says so; a status
 * that is not (CHUA_BAO_CAO, DON_VI_VAN_HANH) carries nothing a report would give.
 */
const sourcedExactlyWhenReported = (
  report: {
    status: string;
    since: string | null;
    statement: string | null;
    note?: string | null;
    asOf: string | null;
    sourceIds: string[];
  },
  ctx: z.RefinementCtx,
) => {
  if (!UNREPORTED.includes(report.status) && (report.asOf === null || report.sourceIds.length === 0)) {
    ctx.addIssue({ code: 'custom', message: `status ${report.status} needs asOf and at least one source` });
  }
  if (!carriesNothing(report)) {
    ctx.addIssue({ code: 'custom', message: `status ${report.status} carries no since, statement, note, asOf or source` });
  }
};

export const connectionRecord = z
  .object({
    status: connectionCode,
    since: publishedDateSchema.nullable(),
    statement: text.nullable(),
    asOf: publishedDateSchema.nullable(),
    sourceIds: z.array(text),
  })
  .superRefine(sourcedExactlyWhenReported);
export type ConnectionRecord = z.infer<typeof connectionRecord>;

export const vneidServiceRecord = z
  .object({
    status: vneidServiceCode,
    since: publishedDateSchema.nullable(),
    statement: text.nullable(),
    note: text.nullable(),
    asOf: publishedDateSchema.nullable(),
    sourceIds: z.array(text),
  })
  .superRefine(sourcedExactlyWhenReported);
export type VneidServiceRecord = z.infer<typeof vneidServiceRecord>;

/** A legal act that formed or ended a provincial unit or an agency. */
export const legalActRecord = z.object({
  id: text,
  number: text,
  title: text,
  issuer: text,
  adoptedOn: isoDateSchema.nullable(),
  effectiveFrom: isoDateSchema,
  effectiveTo: isoDateSchema.nullable(),
  summary: text,
  sourceUrl: z.url({ protocol: /^https$/ }),
});
export type LegalActRecord = z.infer<typeof legalActRecord>;

/**
 * What a unit or an agency carries of its history: the days it existed (inclusive; null outside the
 * recorded history), the ids of the acts in the answer's `acts` that formed and ended it, and the
 * ids of the records it was formed from.
 */
const datedFields = {
  validFrom: isoDateSchema.nullable(),
  validTo: isoDateSchema.nullable(),
  establishedBy: text.nullable(),
  endedBy: text.nullable(),
  predecessors: z.array(text),
};
export type DatedRecord = z.infer<z.ZodObject<typeof datedFields>>;

/**
 * A provincial-level unit with the days it existed (inclusive; null: older than the registry's first
 * recorded change, or still existing) and the acts that formed and ended it. Codes are reused by
 * later units; `id` is not.
 */
export const provinceRecord = z.object({
  id: text,
  code: provinceCodeSchema,
  name: text,
  officialName: text,
  ...datedFields,
  region: z.enum(['NORTHERN_MIDLANDS_AND_MOUNTAINS', 'RED_RIVER_DELTA', 'NORTH_CENTRAL_AND_CENTRAL_COAST', 'CENTRAL_HIGHLANDS', 'SOUTHEAST', 'MEKONG_DELTA']).nullable(),
  municipality: z.boolean(),
  populationDbConnection: connectionRecord,
  criminalRecordOnVneid: vneidServiceRecord,
  indicatorIds: z.array(text),
});
export type ProvinceRecord = z.infer<typeof provinceRecord>;

/** A sector database a published figure speaks of, with the ids of those figures (indicators of `GET /v1/indicators`). */
export const sectorDatabaseRecord = z.object({
  name: text,
  englishName: text,
  populationDbConnection: connectionRecord,
  figureIds: z.array(text).min(1),
});
export type SectorDatabaseRecord = z.infer<typeof sectorDatabaseRecord>;

export const agencyRecord = z
  .object({
    id: text,
    code: text,
    name: text,
    englishName: text,
    kind: agencyKindCode,
    provinceId: text.nullable(),
    ...datedFields,
    successors: z.array(text),
    note: text.nullable(),
    reports: z.array(z.string().url()),
    populationDbConnection: connectionRecord,
    sectorDatabases: z.array(sectorDatabaseRecord),
  })
  .refine((a) => (a.kind === 'UBND_TINH') === (a.provinceId !== null), 'provinceId is set exactly for kind UBND_TINH');
export type AgencyRecord = z.infer<typeof agencyRecord>;

export const indicatorRecord = z
  .object({
    id: text,
    statement: text,
    quotation: text.nullable(),
    asOf: publishedDateSchema,
    asOfBasis: asOfBasisCode,
    sourceIds: z.array(text).min(1),
    value: z.union([z.number(), z.boolean()]).nullable(),
    qualifier: qualifierCode.nullable(),
    valueAsPublished: text.nullable(),
    unit: text.nullable(),
    of: z.number().nullable(),
    rate: z.number().nullable(),
    rateQualifier: qualifierCode.nullable(),
    note: text.nullable(),
    localityCodes: z.array(provinceCodeSchema),
    localityNames: z.array(text),
    figures: z.array(z.object({ name: text, value: z.number(), qualifier: qualifierCode.nullable() })),
  })
  .refine((i) => typeof i.value === 'number' || (i.qualifier === null && i.valueAsPublished === null), 'a qualifier or published wording needs a numeric value')
  .refine((i) => i.rate !== null || i.rateQualifier === null, 'a rate qualifier needs a rate');
export type IndicatorRecord = z.infer<typeof indicatorRecord>;

/** A group with the publication that states it and its sentence; a group no found publication states is not served. */
export const serviceGroupRecord = z.object({ procedures: z.array(text).min(1), quotation: text.nullable(), sourceIds: z.array(text).min(1) });
export type ServiceGroupRecord = z.infer<typeof serviceGroupRecord>;

/** An answer names each record once. */
const eachListedOnce =
  <T>(keysOf: (answer: T) => string[]) =>
  (answer: T, ctx: z.RefinementCtx) => {
    const keys = keysOf(answer);
    if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'a record is listed twice' });
  };

/** Every answer carries the sources its records cite, and names each record once. */
const intact =
  <T extends { sources: SourceRecord[] }>(citationsOf: (answer: T) => string[], keysOf: (answer: T) => string[] = () => []) =>
  (answer: T, ctx: z.RefinementCtx) => {
    everyCitedSourceListed(citationsOf)(answer, ctx);
    eachListedOnce(keysOf)(answer, ctx);
  };

const sources = z.array(sourceRecordSchema);

/**
 * A dated list holds together (lib/domain/dated-history.ts): every act and record it names is in the
 * answer, each act listed once, days run forwards, and no code is on two records the same day.
 */
function historyIntact<T extends DatedEntry>(records: readonly T[], acts: readonly LegalActRecord[], ctx: z.RefinementCtx, links?: (record: T) => readonly string[]) {
  const actIds = new Set(acts.map((act) => act.id));
  if (actIds.size !== acts.length) ctx.addIssue({ code: 'custom', message: 'an act is listed twice' });
  for (const message of historyProblems(records, actIds, links)) ctx.addIssue({ code: 'custom', message });
}

export const provincesResponse = z
  .object({ provinces: z.array(provinceRecord), acts: z.array(legalActRecord), sources })
  .superRefine(intact((a) => a.provinces.flatMap((p) => [...p.populationDbConnection.sourceIds, ...p.criminalRecordOnVneid.sourceIds])))
  .superRefine((a, ctx) => historyIntact(a.provinces, a.acts, ctx));
export type ProvincesResponse = z.infer<typeof provincesResponse>;

export const agenciesResponse = z
  .object({ agencies: z.array(agencyRecord), acts: z.array(legalActRecord), sources })
  .superRefine(
    intact((a) => a.agencies.flatMap((agency) => [...agency.populationDbConnection.sourceIds, ...agency.sectorDatabases.flatMap((db) => db.populationDbConnection.sourceIds)])),
  )
  .superRefine((a, ctx) => historyIntact(a.agencies, a.acts, ctx, (agency) => [...agency.predecessors, ...agency.successors]));
export type AgenciesResponse = z.infer<typeof agenciesResponse>;

export const indicatorsResponse = z.object({ indicators: z.array(indicatorRecord), sources }).superRefine(
  intact(
    (a) => a.indicators.flatMap((i) => i.sourceIds),
    (a) => a.indicators.map((i) => i.id),
  ),
);
export type IndicatorsResponse = z.infer<typeof indicatorsResponse>;

export const serviceGroupsResponse = z.object({ groups: z.array(serviceGroupRecord), sources }).superRefine(intact((a) => a.groups.flatMap((g) => g.sourceIds)));
export type ServiceGroupsResponse = z.infer<typeof serviceGroupsResponse>;

/**
 * `GET /v1/population-db-connections`: the ids of the published figures about connections to the
 * national population database. The figures themselves (and their sources) are the indicators of
 * `GET /v1/indicators`; an id that list does not serve breaks the contract.
 */
export const populationDbConnectionsResponse = z.object({ figureIds: z.array(text) }).superRefine(eachListedOnce((a) => a.figureIds));
export type PopulationDbConnectionsResponse = z.infer<typeof populationDbConnectionsResponse>;
