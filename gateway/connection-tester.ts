import { connectionTestReportSchema, type ConnectionTestReport, type TestVerdict } from '../lib/backend/connection-test.ts';
import type { Logger } from '../lib/runtime/logger.ts';
import { SystemErrorCode } from '../lib/runtime/errors.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { roundMs } from '../lib/runtime/transport.ts';
import type { SubgraphRoutes } from './subgraph-routes.ts';

/** A connection test as the graph reports it: the subgraph's, or the gateway's when the subgraph could not run one. */
export interface GatewayConnectionTest extends Omit<ConnectionTestReport, 'verdict'> {
  verdict: TestVerdict | 'SUBGRAPH_UNREACHABLE';
}

/**
 * `testConnection`: asks a system's subgraph to test its backend (`POST /connection-test`, see
 * lib/backend/connection-test.ts) and validates the report where it enters the gateway. Concurrent tests of
 * one system share one round trip (the subgraph's route runs one at a time); after each, the board
 * probes the system again.
 */
export class ConnectionTester {
  constructor(
    private readonly routes: SubgraphRoutes,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly afterTest: (system: SystemId) => void = () => {},
  ) {}

  async test(system: SystemId): Promise<GatewayConnectionTest> {
    try {
      return await this.run(system);
    } finally {
      this.afterTest(system);
    }
  }

  private async run(system: SystemId): Promise<GatewayConnectionTest> {
    const testedAt = new Date();
    const started = performance.now();
    const answer = await this.routes.call(system, 'connection-test', {
      method: 'POST',
      timeoutMs: this.timeoutMs,
      answerStatuses: [200],
      schema: connectionTestReportSchema,
    });
    if (answer.ok) return answer.value;
    const problem = answer.code === SystemErrorCode.BAD_RESPONSE ? `the subgraph could not run the test: ${answer.reason}` : `subgraph not answering: ${answer.reason}`;
    this.logger.warn({ system, problem }, 'connection test could not run');
    return {
      system,
      verdict: 'SUBGRAPH_UNREACHABLE',
      problem,
      testedAt: testedAt.toISOString(),
      connectMs: null,
      firstByteMs: null,
      totalMs: roundMs(performance.now() - started),
      checks: [],
    };
  }
}
