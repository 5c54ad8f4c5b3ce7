import { Agent } from 'undici';
import { connectionTestReportSchema, type ConnectionTestReport, type TestVerdict } from '../lib/connection-test.ts';
import type { Logger } from '../lib/logger.ts';
import { DEADLINE_HEADER } from '../lib/subgraph.ts';
import { SYSTEM_IDS, type SystemId } from '../lib/systems.ts';
import { classifyTransportError, closeDispatcher, parseJsonOrUndefined, readLimited } from '../lib/transport.ts';
import { subgraphRouteUrl } from './connection-board.ts';

/** A connection test as the graph reports it: the subgraph's, or the gateway's when the subgraph could not run one. */
export interface GatewayConnectionTest extends Omit<ConnectionTestReport, 'verdict'> {
  verdict: TestVerdict | 'SUBGRAPH_UNREACHABLE';
}

/**
 * `testConnection`: asks a system's subgraph to test its backend (`POST /connection-test`, see
 * lib/connection-test.ts) and validates the report where it enters the gateway. Concurrent tests of
 * one system share one round trip; after each, the board probes the system again.
 */
export class ConnectionTester {
  private readonly urls: Map<SystemId, URL>;
  private readonly inFlight = new Map<SystemId, Promise<GatewayConnectionTest>>();
  private readonly agent: Agent;

  constructor(
    subgraphUrls: Record<SystemId, string>,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly afterTest: (system: SystemId) => void = () => {},
  ) {
    this.urls = new Map(SYSTEM_IDS.map((id) => [id, subgraphRouteUrl(subgraphUrls[id], 'connection-test')]));
    this.agent = new Agent({ connections: 1, connectTimeout: timeoutMs });
  }

  test(system: SystemId): Promise<GatewayConnectionTest> {
    const running = this.inFlight.get(system);
    if (running) return running;
    const test = this.run(system).finally(() => {
      this.inFlight.delete(system);
      this.afterTest(system);
    });
    this.inFlight.set(system, test);
    return test;
  }

  close(): Promise<void> {
    return closeDispatcher(this.agent, 0);
  }

  private async run(system: SystemId): Promise<GatewayConnectionTest> {
    const url = this.urls.get(system)!;
    const testedAt = new Date();
    const started = performance.now();
    let problem: string;
    try {
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname,
        method: 'POST',
        headers: { accept: 'application/json', [DEADLINE_HEADER]: String(this.timeoutMs) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await readLimited(response.body, 1024 * 1024);
      if (response.statusCode === 200) {
        const parsed = connectionTestReportSchema.safeParse(parseJsonOrUndefined(text));
        if (parsed.success && parsed.data.system === system) return parsed.data;
        problem = 'the subgraph answered the test request with something that is not a test report';
      } else {
        problem = `the subgraph answered the test request with HTTP ${response.statusCode}`;
      }
    } catch (error) {
      problem = `subgraph not answering: ${classifyTransportError(error).reason}`;
    }
    this.logger.warn({ system, problem }, 'connection test could not run');
    return {
      system,
      verdict: 'SUBGRAPH_UNREACHABLE',
      problem,
      testedAt: testedAt.toISOString(),
      connectMs: null,
      firstByteMs: null,
      totalMs: Math.round((performance.now() - started) * 10) / 10,
      checks: [],
    };
  }
}
