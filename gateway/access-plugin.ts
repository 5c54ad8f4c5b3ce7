import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { AccessLogUnavailableError, failureReason } from '../lib/access-log/group-commit.ts';
import type { AccessLogStore, AccessRecord } from '../lib/access-log/types.ts';
import { CASE_HEADER, hasPurpose, isAuditor, PURPOSE_HEADER, type Caller } from '../lib/access/caller.ts';
import { refusal } from '../lib/access/refusal.ts';
import { assessOperation, localSchema, type AccessPolicy } from '../lib/access/policy.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import { finishResponse, prepareOperation, RESERVED_ALIAS_PREFIX, reservedAliasIn, type ResponseFacts } from './access-control.ts';
import type { GatewayContext } from './data-source.ts';

/** Root fields answered only to one kind of caller, whatever the policy says of personal data. */
const RESTRICTED_ROOT_FIELDS: Record<string, 'citizen' | 'auditor' | 'officer'> = {
  'Query.myDataAccessLog': 'citizen',
  'Query.accessLog': 'auditor',
  'Mutation.testConnection': 'officer',
};

export const ACCESS_LOG_UNAVAILABLE = 'ACCESS_LOG_UNAVAILABLE';

function checkRestrictedRoots(fields: ReadonlySet<string>, caller: Caller | undefined): void {
  for (const [coordinate, needs] of Object.entries(RESTRICTED_ROOT_FIELDS)) {
    if (!fields.has(coordinate)) continue;
    const name = coordinate.slice(coordinate.indexOf('.') + 1);
    if (!caller) throw refusal(401, `${name} needs a credential: send Authorization: Bearer <token>${needs === 'citizen' ? '' : ' or x-api-key'}.`);
    if (needs === 'citizen' && caller.kind !== 'citizen') throw refusal(403, `${name} answers only a citizen signed in through a citizen identity provider, about their own data.`);
    if (needs === 'officer' && caller.kind !== 'officer') throw refusal(403, `${name} is for agency officers.`);
    if (needs === 'auditor' && !isAuditor(caller)) throw refusal(403, `${name} needs the auditor role.`);
  }
}

export interface AccessControlOptions {
  policy: AccessPolicy;
  log: AccessLogStore;
  logger: Logger;
  /** Anonymous callers are refused everything, not only personal data. */
  publicDataRequiresCredentials: boolean;
  /** Told the records of each answer once they are committed (the reuse metrics). */
  onRecorded?: (records: readonly AccessRecord[]) => void;
}

/**
 * Who may see what, and who saw it: refuses personal data to a caller without agency credentials
 * and a purpose (401), strips the fields the policy denies, and writes one access record per
 * citizen whose data is answered — before the answer leaves. If the records cannot be written,
 * no personal data is returned (503).
 */
export function accessControlPlugin({ policy, log, logger, publicDataRequiresCredentials, onRecorded }: AccessControlOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
      let facts: ResponseFacts | undefined;
      return {
        async didResolveOperation(requestContext) {
          const { document, operationName, contextValue } = requestContext;
          const schema = localSchema(requestContext.schema);
          const caller = contextValue.caller;
          const reserved = reservedAliasIn(document);
          if (reserved !== undefined) {
            throw new GraphQLError(`Alias ${reserved} is reserved: aliases starting with ${RESERVED_ALIAS_PREFIX} are the gateway's own.`, {
              extensions: { code: 'BAD_USER_INPUT', alias: reserved, http: { status: 400 } },
            });
          }
          if (!caller && publicDataRequiresCredentials) {
            throw refusal(401, 'This gateway answers only authenticated callers: send Authorization: Bearer <token> or x-api-key.');
          }
          const assessment = assessOperation(schema, document, operationName, policy, undefined);
          contextValue.readsPersonalData = assessment.personal;
          checkRestrictedRoots(assessment.fields, caller);
          if (!assessment.personal) return;
          if (!caller) {
            throw refusal(
              401,
              `This operation reads personal data: send an agency credential (Authorization: Bearer <token> or x-api-key) with the purpose headers ${PURPOSE_HEADER} and ${CASE_HEADER}.`,
            );
          }
          if (caller.kind === 'citizen') {
            throw refusal(403, 'Personal data is answered to agency officers; a citizen sees who accessed their data through myDataAccessLog.');
          }
          if (!hasPurpose(caller)) {
            const missing = [caller.purpose === null ? PURPOSE_HEADER : '', caller.caseNumber === null ? CASE_HEADER : ''].filter(Boolean);
            throw refusal(401, `This operation reads personal data: state its purpose with ${missing.join(' and ')}.`);
          }
          if (!policy.purposes.has(caller.purpose)) {
            throw refusal(403, `Purpose ${caller.purpose} is not in access policy ${policy.version}.`, { purpose: caller.purpose });
          }
          const prepared = prepareOperation(schema, document, requestContext.queryHash, policy, caller);
          facts = {
            schema,
            document,
            operationName,
            variables: requestContext.request.variables ?? {},
            policy,
            caller,
            requestId: contextValue.requestId,
            at: new Date(),
          };
          // The gateway executes (and caches query plans for) the rewritten document under its own key.
          const writable = requestContext as { document: DocumentNode; queryHash: string };
          writable.document = prepared.document;
          writable.queryHash = prepared.queryHash;
        },

        async willSendResponse(requestContext) {
          if (!facts) return;
          const { response } = requestContext;
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          // Refused before execution (e.g. a variable of the wrong type): nothing was answered.
          if (result.data === undefined) return;
          const finished = finishResponse(facts, result.data as Parameters<typeof finishResponse>[1], (result.errors ?? []) as readonly GraphQLFormattedError[]);
          try {
            if (finished.records.length > 0) {
              await log.append(finished.records, { deadlineAt: requestContext.contextValue.deadlineAt });
              onRecorded?.(finished.records);
            }
          } catch (error) {
            // A short cause only: a driver's message or stack may name the database host or user.
            const code = (error as { code?: unknown }).code;
            const refused = error instanceof AccessLogUnavailableError;
            logger[refused ? 'warn' : 'error'](
              { requestId: facts.requestId, records: finished.records.length, code: typeof code === 'string' ? code : 'ACCESS_LOG_WRITE_FAILED', reason: failureReason(error) },
              refused ? 'access log unavailable: personal data withheld' : 'access log write failed: personal data withheld',
            );
            response.body.singleResult = {
              data: null,
              errors: [
                {
                  message: 'The access log could not record this access, so no personal data is returned. Try again later.',
                  extensions: { code: ACCESS_LOG_UNAVAILABLE },
                },
              ],
            };
            response.http.status = 503;
            return;
          }
          response.body.singleResult = {
            data: finished.data,
            ...(finished.errors.length > 0 ? { errors: finished.errors } : {}),
            ...(result.extensions ? { extensions: result.extensions } : {}),
          };
        },
      };
    },
  };
}
