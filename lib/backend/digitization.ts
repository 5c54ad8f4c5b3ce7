import { z } from 'zod';
import type { BackendClient, CallContext } from './backend-client.ts';
import { everyCitedSourceListed, indexSources, sourceRecordSchema, type SourceIndex, type SourceRecord } from './sources.ts';
import { carriesNothingUnreported, MAX_BATCH, provinceCodeSchema, publishedDateSchema } from './wire.ts';

/**
 * Province digitisation as the Project 06 reports publish it, which the civil-status and land
 * backends both serve at `POST /v1/digitization/provinces/batch-get`. The status codes, the rule
 * for a province no report covers and the call are the same; the figures are each system's own.
 */

export const digitizationStatusCode = z.enum(['HOAN_THANH', 'CO_BAN_HOAN_THANH', 'DANG_THUC_HIEN', 'CHUA_BAO_CAO']);
export type DigitizationStatusCode = z.infer<typeof digitizationStatusCode>;

export type DigitizationStatus = 'COMPLETED' | 'BASICALLY_COMPLETED' | 'IN_PROGRESS' | 'NOT_REPORTED';

export const DIGITIZATION_STATUSES: Record<DigitizationStatusCode, DigitizationStatus> = {
  HOAN_THANH: 'COMPLETED',
  CO_BAN_HOAN_THANH: 'BASICALLY_COMPLETED',
  DANG_THUC_HIEN: 'IN_PROGRESS',
  CHUA_BAO_CAO: 'NOT_REPORTED',
};

/**
 * A province's record: code, status, the system's own `figures`, and the report's statement, date
 * and sources. With `figuresWithoutStatus`, a province no report gives a status (CHUA_BAO_CAO) may
 * still carry the figures a report does publish for it, with that report's statement, date and
 * sources; otherwise CHUA_BAO_CAO carries nothing.
 */
export function digitizationRecordWith<F extends z.ZodRawShape>(figures: F, options: { figuresWithoutStatus?: boolean } = {}) {
  const carriesNothing = carriesNothingUnreported(['CHUA_BAO_CAO'], [...Object.keys(figures), 'statement', 'asOf']);
  return z
    .object({
      provinceCode: provinceCodeSchema,
      status: digitizationStatusCode,
      ...figures,
      statement: z.string().min(1).nullable(),
      asOf: publishedDateSchema.nullable(),
      sourceIds: z.array(z.string().min(1)),
    })
    .refine(
      // Its type depends on `figures`, which TypeScript cannot follow here; the check reads fields by name.
      (record) => {
        const read = record as { status: string; statement: string | null; asOf: string | null; sourceIds: string[] };
        const sourced = read.statement !== null && read.asOf !== null && read.sourceIds.length > 0;
        return carriesNothing(read) || (options.figuresWithoutStatus === true && sourced);
      },
      options.figuresWithoutStatus === true
        ? 'status CHUA_BAO_CAO carries figures only with their statement, asOf and source'
        : 'status CHUA_BAO_CAO carries no figure, statement, asOf or source',
    );
}

interface DigitizationAnswer<R> {
  provinces: R[];
  sources: SourceRecord[];
}

/** The answer: the provinces found and the sources they cite, with whatever else (`more`) the system's contract adds. */
export function digitizationAnswer<R extends { sourceIds: string[] }>(record: z.ZodType<R>, more: z.ZodRawShape = {}): z.ZodType<DigitizationAnswer<R>> {
  return z
    .object({ provinces: z.array(record), sources: z.array(sourceRecordSchema), ...more })
    .superRefine(everyCitedSourceListed((a) => a.provinces.flatMap((p) => p.sourceIds)));
}

/** Request body, validated by the mocks as a real backend would. */
export const digitizationBatchRequest = z.object({ provinceCodes: z.array(provinceCodeSchema).min(1).max(MAX_BATCH) });

/** Each province's digitisation by code, mapped with `fromRecord`; a code the answer leaves out is absent. */
export async function fetchProvinceDigitization<R extends { provinceCode: string }, M>(
  client: BackendClient,
  provinceCodes: readonly string[],
  answer: z.ZodType<DigitizationAnswer<R>>,
  fromRecord: (record: R, sources: SourceIndex) => M,
  call?: CallContext,
): Promise<Map<string, M>> {
  const { provinces, sources } = await client.post('/v1/digitization/provinces/batch-get', { provinceCodes }, answer, { ...call, idempotent: true });
  const index = indexSources(sources);
  return new Map(provinces.map((p) => [p.provinceCode, fromRecord(p, index)]));
}
