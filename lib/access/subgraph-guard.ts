import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { AssertionReplayGuard, CallerAssertionError, callHash, verifyCallerAssertion } from './caller-assertion.ts';
import { CALLER_ASSERTION_HEADER, hasPurpose, type Caller } from './caller.ts';
import { assessOperation, localSchema, type AccessPolicy } from './policy.ts';
import { refusal } from './refusal.ts';

/**
 * Defence in depth: a subgraph answers personal data only to a caller the gateway vouched for (a
 * signed caller assertion), and only the fields the same access policy allows that caller. The
 * gateway never sends a denied field, so a refusal here means the subgraph was reached some other
 * way: the whole operation is refused.
 */
export interface SubgraphAccess {
  /** Off only from code, to measure what access control costs (`npm run bench:access`), with the gateway's off too. */
  enabled: boolean;
  policy: AccessPolicy;
  /** Shared with the gateway (`CALLER_ASSERTION_SECRET`); without it no caller can be verified. */
  callerSecret: Uint8Array | undefined;
}

export interface CallerFacts {
  caller?: Caller;
  /** Why a caller assertion that was sent was not accepted. */
  callerRejected?: string;
}

/** Verifies the caller assertions sent to one subgraph, each bound to its call and accepted once. */
export class CallerVerifier {
  private readonly replays = new AssertionReplayGuard();

  constructor(
    private readonly subgraph: string,
    private readonly secret: Uint8Array | undefined,
  ) {}

  /** The caller of a GraphQL request, from its headers and its JSON body (`query`, `variables`). */
  async callerOf(headers: IncomingHttpHeaders, body: unknown): Promise<CallerFacts> {
    const raw = headers[CALLER_ASSERTION_HEADER];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token) return {};
    if (!this.secret) return { callerRejected: 'this subgraph has no CALLER_ASSERTION_SECRET to verify callers with' };
    const { query, variables } = (body && typeof body === 'object' ? body : {}) as { query?: unknown; variables?: unknown };
    if (typeof query !== 'string') return { callerRejected: 'caller assertion rejected: no query to bind it to' };
    try {
      const verified = await verifyCallerAssertion(token, this.secret, { subgraph: this.subgraph, queryHash: callHash(query, variables) });
      if (!this.replays.accept(verified.id, verified.expiresAt)) return { callerRejected: 'caller assertion rejected: already used' };
      return { caller: verified.caller };
    } catch (error) {
      if (error instanceof CallerAssertionError) return { callerRejected: error.message };
      throw error;
    }
  }
}


export function subgraphAccessPlugin<TContext extends CallerFacts>(policy: AccessPolicy): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, contextValue, request }) {
          const caller = hasPurpose(contextValue.caller) ? contextValue.caller : undefined;
          const assessment = assessOperation(localSchema(schema), document, operationName, policy, caller, request.variables ?? {});
          if (!assessment.personal) return;
          if (!caller) {
            const why = contextValue.callerRejected ?? 'no caller assertion from the gateway';
            throw refusal(401, `Personal data is answered only to callers verified by the gateway (${why}).`);
          }
          if (assessment.denied.length > 0) {
            throw refusal(403, assessment.denied.map((denial) => denial.message).join(' '));
          }
        },
      };
    },
  };
}
