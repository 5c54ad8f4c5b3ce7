import { GraphQLError } from 'graphql';
import { systemLabel, type SystemId } from './systems.ts';

/**
 * Stable error codes for failures of a wrapped system. Clients branch on `extensions.code` and
 * read `extensions.system`; the message is for people. Nothing internal (URLs, bodies, stacks)
 * is ever put into these errors: the cause is logged, not returned.
 */
export const SystemErrorCode = {
  /** The system refused or dropped the connection, cut its answer short, answered with a server error, or its circuit is open. */
  UNAVAILABLE: 'SYSTEM_UNAVAILABLE',
  /** The system did not answer within its deadline. */
  TIMEOUT: 'SYSTEM_TIMEOUT',
  /** The system answered, but not in its documented contract (bad JSON, wrong shape). */
  BAD_RESPONSE: 'SYSTEM_BAD_RESPONSE',
} as const;
export type SystemErrorCode = (typeof SystemErrorCode)[keyof typeof SystemErrorCode];

const describe: Record<SystemErrorCode, string> = {
  SYSTEM_UNAVAILABLE: 'is unavailable',
  SYSTEM_TIMEOUT: 'did not answer in time',
  SYSTEM_BAD_RESPONSE: 'returned an answer that breaks its contract',
};

export interface SystemErrorFacts {
  /** Short cause without any address or body (`ECONNREFUSED`, `HTTP 503`), for status reports. */
  reason?: string;
  /** A transient failure: an idempotent read may be tried again. */
  retryable?: boolean;
  /** The call ran out of the caller's time budget, not the system's own deadline. */
  callerDeadline?: boolean;
  /** Said to the client after what happened, in brackets: why, in words with nothing internal (e.g. that the circuit is open). */
  note?: string;
}

export class SystemError extends GraphQLError {
  readonly system: SystemId;
  readonly systemCode: SystemErrorCode;
  /** Internal detail for logs only. */
  readonly detail: string;
  readonly reason: string;
  readonly retryable: boolean;
  readonly callerDeadline: boolean;

  constructor(system: SystemId, code: SystemErrorCode, detail: string, facts: SystemErrorFacts = {}) {
    super(`${systemLabel(system)} ${describe[code]}${facts.note ? ` (${facts.note})` : ''}.`, {
      extensions: { code, system },
    });
    this.name = 'SystemError';
    this.system = system;
    this.systemCode = code;
    this.detail = detail;
    this.reason = facts.reason ?? code;
    this.retryable = facts.retryable ?? false;
    this.callerDeadline = facts.callerDeadline ?? false;
  }
}
