import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { SystemErrorCode } from '../lib/runtime/errors.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import { SYSTEM_IDS, systemLabel, type SystemId } from '../lib/runtime/systems.ts';

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
const KEPT_EXTENSIONS = ['code', 'system', 'argument', 'alias'] as const;

function knownSystem(candidate: unknown): SystemId | undefined {
  return SYSTEM_IDS.find((id) => id === candidate);
}

/**
 * Rebuilds one error for the client. Anything not on the allow-list is an internal failure: the
 * client learns only that, and which system's part it was; the original goes to the log.
 */
export function maskError(formatted: GraphQLFormattedError): { masked: GraphQLFormattedError; internal: boolean } {
  const extensions = formatted.extensions as Record<string, unknown> | undefined;
  const code = typeof extensions?.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };

  if (CLIENT_CODES.has(code)) {
    const kept: Record<string, unknown> = {};
    for (const key of KEPT_EXTENSIONS) if (extensions?.[key] !== undefined) kept[key] = extensions[key];
    return { masked: { message: formatted.message, ...base, extensions: kept }, internal: false };
  }
  const system = knownSystem(extensions?.system) ?? knownSystem(extensions?.serviceName);
  if (system) {
    return {
      masked: {
        message: `${systemLabel(system)} failed internally while answering.`,
        ...base,
        extensions: { code: 'INTERNAL_SERVER_ERROR', system },
      },
      internal: true,
    };
  }
  return { masked: { message: 'Internal server error.', ...base, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, internal: true };
}

/** Apollo's `formatError`: masks, and logs the original of every internal failure. */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { masked, internal } = maskError(formatted);
    if (internal) {
      const original = unwrapResolverError(error);
      logger.error({ err: original, path: formatted.path, extensions: formatted.extensions }, `internal error: ${formatted.message}`);
    }
    return masked;
  };
}
