import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { toCsv } from '../lib/access-log/csv.ts';
import { provincialUnitById, todayInVietnam } from '../lib/domain/administrative-units.ts';
import { MONTH, REUSE_DIMENSIONS, type ReuseDimension, type ReuseGroup } from '../lib/access-log/reuse.ts';
import { agencyByCode } from '../lib/domain/agencies.ts';
import type { AccessLogFilter, AccessLogStore, StoredAccessRecord } from '../lib/access-log/types.ts';
import { AGENCY_PATTERN, AuthenticationError, type Authenticator } from '../lib/access/authentication.ts';
import { isAuditor, type Caller } from '../lib/access/caller.ts';
import { BEARER_CHALLENGE } from '../lib/access/refusal.ts';
import type { AccessPolicy } from '../lib/access/policy.ts';
import { badInput } from '../lib/domain/graph-input.ts';
import { sendJson } from '../lib/runtime/http-server.ts';
import { personalIdProblem } from '../lib/domain/personal-id.ts';
import { buildSubgraphSchemaFromFile } from '../lib/runtime/subgraph.ts';
import type { AccessLogFilter as AccessLogFilterInput, Resolvers } from './generated/access-log.ts';

/**
 * The access log's two views, served by the gateway as a subgraph of its own (like the connection
 * board): `myDataAccessLog` for the signed-in citizen, `accessLog` for auditors, and the same
 * records as CSV at `GET /audit/access-log.csv`. Who may ask is checked before execution
 * (gateway/access-plugin.ts); the resolvers check it again, since they are what reads the log.
 */
export const ACCESS_LOG_SUBGRAPH = 'access-log';
export const ACCESS_LOG_SCHEMA_FILE = new URL('./access-log.graphql', import.meta.url);

const MAX_CITIZEN_PAGE = 500;
const MAX_AUDITOR_PAGE = 1000;
const MAX_CSV_ROWS = 10_000;
const PURPOSE_CODE = /^[A-Za-z0-9.\-_]{1,40}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** What the access log's resolvers receive as context (the generated resolver types' `contextType`). */
export interface AccessLogContext {
  caller?: Caller;
}

function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

function checkedLimit(limit: number, max: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badInput('limit', `expected a whole number from 1 to ${max}`);
  return limit;
}

function checkedBefore(before: number | null | undefined): number | undefined {
  if (before === null || before === undefined) return undefined;
  if (!Number.isInteger(before) || before < 1) throw badInput('before', 'expected the seq of a record, a positive whole number');
  return before;
}

/** An ISO date or time as the log stores it (UTC, milliseconds), or a BAD_USER_INPUT naming the argument. */
function isoTime(value: string | null | undefined, argument: string): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const time = ISO_TIME.test(value) ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw badInput(argument, 'expected an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z');
  return time.toISOString();
}

/** The auditor's filter, checked: codes as codes, a valid personal ID, ISO times. */
export function auditFilter(input: AccessLogFilterInput | null | undefined, prefix = 'filter.'): AccessLogFilter {
  const filter: AccessLogFilter = {};
  if (!input) return filter;
  if (input.agency) {
    if (!AGENCY_PATTERN.test(input.agency)) throw badInput(`${prefix}agency`, 'expected an agency code');
    filter.agency = input.agency;
  }
  if (input.purpose) {
    if (!PURPOSE_CODE.test(input.purpose)) throw badInput(`${prefix}purpose`, 'expected a purpose code');
    filter.purpose = input.purpose;
  }
  if (input.personalId) {
    const problem = personalIdProblem(input.personalId);
    if (problem) throw badInput(`${prefix}personalId`, problem);
    filter.personalId = input.personalId;
  }
  const from = isoTime(input.from, `${prefix}from`);
  const to = isoTime(input.to, `${prefix}to`);
  if (from) filter.from = from;
  if (to) filter.to = to;
  return filter;
}

/** A group of the reuse report, with the day its agency code is read on. */
export interface ReuseReportGroup extends ReuseGroup {
  agencyOn: string;
}
export interface ReuseReport {
  from: string | null;
  to: string | null;
  groupBy: ReuseDimension[];
  groups: ReuseReportGroup[];
}

/** Dimensions that name who asked (an agency, its procedures, its province): the auditor's. */
const AUDITOR_DIMENSIONS: readonly ReuseDimension[] = ['AGENCY', 'PURPOSE', 'PROVINCE'];
const EMPTY_GROUP = { month: null, agency: null, purpose: null, sector: null, province: null, level: null, items: 0, reusedItems: 0, cases: 0, casesWithReuse: 0 };

function checkedMonth(value: string | null | undefined, argument: string): string | null {
  if (value === null || value === undefined) return null;
  if (!MONTH.test(value)) throw badInput(argument, 'expected a month, YYYY-MM (e.g. 2026-11)');
  return value;
}

/** The reuse report as asked: months checked, dimensions allowed to the caller, one total when not grouped. */
export async function reuseReport(
  log: AccessLogStore,
  args: { from?: string | null; to?: string | null; groupBy?: readonly ReuseDimension[] | null },
  caller: Caller | undefined,
): Promise<ReuseReport> {
  const from = checkedMonth(args.from, 'from');
  const to = checkedMonth(args.to, 'to');
  if (from !== null && to !== null && from > to) throw badInput('to', `expected a month not before from (${from})`);
  const groupBy = REUSE_DIMENSIONS.filter((d) => args.groupBy?.includes(d));
  const restricted = groupBy.filter((d) => AUDITOR_DIMENSIONS.includes(d));
  if (restricted.length > 0 && !isAuditor(caller))
    throw forbidden(`reuseStatistics grouped by ${restricted.join(', ')} needs the auditor role; by MONTH, SECTOR and LEVEL it is open.`);
  const groups = await log.reuseStatistics({ from: from ?? '0000-01', to: to ?? '9999-12', groupBy });
  const today = todayInVietnam();
  const withDay = (group: ReuseGroup): ReuseReportGroup => ({ ...group, agencyOn: group.month ? `${group.month}-01` : today });
  return { from, to, groupBy, groups: groupBy.length === 0 ? [withDay(groups[0] ?? EMPTY_GROUP)] : groups.map(withDay) };
}

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** With access control off (benchmarks only) there is no log: nothing was recorded, nothing can be shown. */
export function accessLogResolvers(log: AccessLogStore | undefined, policy: AccessPolicy): Resolvers {
  const opened = () => {
    if (!log) throw forbidden('Access control is off in this gateway: there is no access log.');
    return log;
  };
  const purposeOf = (code: string) => ({ code, name: policy.purposes.get(code)?.name ?? null });
  // The agency that had the code on the day of the access: a code continues across a merger.
  const agencyOf = (record: StoredAccessRecord) => {
    const agency = agencyByCode(record.agency, todayInVietnam(new Date(record.at)));
    return agency ? { __typename: 'Agency' as const, id: agency.id } : null;
  };
  return {
    Query: {
      myDataAccessLog: async (_, args, context) => {
        const caller = context.caller;
        if (caller?.kind !== 'citizen') throw forbidden('myDataAccessLog answers only a signed-in citizen, about their own data.');
        return opened().query({ personalId: caller.personalId, limit: checkedLimit(args.limit, MAX_CITIZEN_PAGE), beforeSeq: checkedBefore(args.before) });
      },
      accessLog: async (_, args, context) => {
        if (!isAuditor(context.caller)) throw forbidden('accessLog needs the auditor role.');
        return opened().query({ ...auditFilter(args.filter), limit: checkedLimit(args.limit, MAX_AUDITOR_PAGE), beforeSeq: checkedBefore(args.before) });
      },
      reuseStatistics: (_, args, context) => reuseReport(opened(), args, context.caller),
    },
    ReuseGroup: {
      agencyCode: (group) => group.agency,
      agency: (group) => {
        const agency = group.agency === null ? undefined : agencyByCode(group.agency, group.agencyOn);
        return agency ? { __typename: 'Agency' as const, id: agency.id } : null;
      },
      purpose: (group) => (group.purpose === null ? null : purposeOf(group.purpose)),
      provinceId: (group) => (group.province === null || group.province === '' ? null : group.province),
      provinceName: (group) => (group.province ? (provincialUnitById(group.province)?.officialName ?? null) : null),
      dataItems: (group) => group.items,
      reusedDataItems: (group) => group.reusedItems,
      reusedShare: (group) => share(group.reusedItems, group.items),
      caseReuseShare: (group) => share(group.casesWithReuse, group.cases),
    },
    DataAccessEvent: {
      agencyCode: (record) => record.agency,
      agency: agencyOf,
      purpose: (record) => purposeOf(record.purpose),
    },
    AccessLogEntry: {
      agencyCode: (record) => record.agency,
      agency: agencyOf,
      purpose: (record) => purposeOf(record.purpose),
    },
  };
}

export function accessLogDataSource(log: AccessLogStore | undefined, policy: AccessPolicy): LocalGraphQLDataSource {
  return new LocalGraphQLDataSource(buildSubgraphSchemaFromFile(ACCESS_LOG_SCHEMA_FILE, accessLogResolvers(log, policy)));
}

/**
 * `GET /audit/access-log.csv?agency=&purpose=&personalId=&from=&to=&limit=`: the auditor's view as
 * CSV (at most 10 000 rows, newest first), for the auditor role only.
 */
export function accessLogCsvRoute(log: AccessLogStore, authenticator: Authenticator) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    let caller: Caller | undefined;
    try {
      caller = await authenticator.authenticate(req.headers);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      res.setHeader('www-authenticate', BEARER_CHALLENGE);
      sendJson(res, 401, { error: error.message, code: 'UNAUTHENTICATED' });
      return;
    }
    if (!caller) {
      res.setHeader('www-authenticate', BEARER_CHALLENGE);
      sendJson(res, 401, { error: 'The access log needs an auditor credential.', code: 'UNAUTHENTICATED' });
      return;
    }
    if (!isAuditor(caller)) {
      sendJson(res, 403, { error: 'The access log needs the auditor role.', code: 'FORBIDDEN' });
      return;
    }
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let filter: AccessLogFilter;
    let limit: number;
    try {
      filter = auditFilter(
        { agency: params.get('agency'), purpose: params.get('purpose'), personalId: params.get('personalId'), from: params.get('from'), to: params.get('to') },
        '',
      );
      limit = checkedLimit(Number(params.get('limit') ?? MAX_CSV_ROWS), MAX_CSV_ROWS);
    } catch (error) {
      sendJson(res, 400, { error: error instanceof Error ? error.message : 'bad filter', code: 'BAD_USER_INPUT' });
      return;
    }
    const csv = toCsv(await log.query({ ...filter, limit }));
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="access-log.csv"',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(csv),
    });
    res.end(req.method === 'HEAD' ? undefined : csv);
  };
}
