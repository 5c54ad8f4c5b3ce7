import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { SystemError, SystemErrorCode } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SystemId } from '../lib/systems.ts';
import { classifyTransportError } from '../lib/transport.ts';

export interface GatewayContext {
  requestId: string;
}

/**
 * A subgraph call. Forwards the request id, and turns a failed call (refused, reset, timed out,
 * HTTP error, not JSON) into a SystemError naming the subgraph's system. Apollo's own error would
 * carry the subgraph URL and response body and no system name.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly system: SystemId,
    url: string,
    fetcher: Fetcher,
    private readonly logger: Logger,
  ) {
    super({ url, fetcher });
  }

  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    if (context.requestId) request.http?.headers.set('x-request-id', context.requestId);
  }

  override didEncounterError(error: Error): never {
    const code = classify(error);
    const detail = `${error.name}: ${error.message}`;
    this.logger.warn({ system: this.system, code, detail }, 'subgraph call failed');
    throw new SystemError(this.system, code, `subgraph: ${detail}`);
  }
}

/** Transport failures as every hop names them; an answer that is not a JSON object breaks the contract. */
function classify(error: Error): SystemErrorCode {
  if (error instanceof SyntaxError || error.message.startsWith('Expected JSON response body')) return SystemErrorCode.BAD_RESPONSE;
  return classifyTransportError(error);
}
