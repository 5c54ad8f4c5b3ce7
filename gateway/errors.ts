import type { GraphQLFormattedError } from 'graphql';
import { SystemErrorCode } from '../lib/errors.ts';
import { SYSTEM_IDS, type SystemId } from '../lib/systems.ts';

/**
 * The one place that decides what an error looks like to a client. Apollo's gateway passes on
 * downstream failures with the subgraph's URL, HTTP status and response body in the message and
 * extensions; none of that may leave. Errors are rebuilt from an allow-list: a known code keeps
 * its message; anything else becomes a generic error naming the failing system where known.
 */
const CLIENT_CODES = new Set<string>([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  ...Object.values(SystemErrorCode),
]);
const KEPT_EXTENSIONS = ['code', 'system', 'argument'] as const;

function knownSystem(candidate: unknown): SystemId | undefined {
  return SYSTEM_IDS.find((id) => id === candidate);
}

export function maskError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions = formatted.extensions as Record<string, unknown> | undefined;
  const code = typeof extensions?.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  // A client error keeps the system only if it said so itself; a failure is pinned on the subgraph.
  const system = knownSystem(extensions?.system);
  const failedSubgraph = system ?? knownSystem(extensions?.serviceName);
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };

  if (CLIENT_CODES.has(code)) {
    const kept: Record<string, unknown> = {};
    for (const key of KEPT_EXTENSIONS) if (extensions?.[key] !== undefined) kept[key] = extensions[key];
    return { message: formatted.message, ...base, extensions: kept };
  }
  if (failedSubgraph) {
    // A subgraph that could not be reached or answered badly: one stable code, the system's name.
    return {
      message: `The ${failedSubgraph} system is unavailable.`,
      ...base,
      extensions: { code: SystemErrorCode.UNAVAILABLE, system: failedSubgraph },
    };
  }
  return { message: 'Internal server error.', ...base, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
