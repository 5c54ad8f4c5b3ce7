import type { FormattedExecutionResult } from 'graphql';
import type { PurposefulOfficer } from '../../lib/access/caller.ts';
import { BackendClient } from '../../lib/backend/backend-client.ts';
import { startMockBackend, type RunningMock } from '../../lib/devkit/mock-server.ts';
import { route, type MockRoute } from '../../lib/devkit/mock-routes.ts';
import { DEFAULT_RESILIENCE } from '../../lib/runtime/resilience.ts';
import { createSubgraphGraphQL, type Adapter, type SubgraphDefinition } from '../../lib/runtime/subgraph.ts';

export interface BackendUnderTest<TAdapter> {
  mock: RunningMock;
  adapter: TAdapter;
}

export interface SubgraphUnderTest<TAdapter> extends BackendUnderTest<TAdapter> {
  /** An adapter over a stand-in backend that answers each path with the wire answer a test sets in `wireAnswers`. */
  wireAdapter: TAdapter;
  wireAnswers: Map<string, unknown>;
  /** Another mock backend with `handlers`, and an adapter over it; `close` stops them too. */
  startBackend(handlers: MockRoute[]): Promise<BackendUnderTest<TAdapter>>;
  /** Runs an operation on the subgraph, with fresh loaders over `over` (by default `adapter`). */
  execute<TData = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, over?: TAdapter): Promise<FormattedExecutionResult<TData>>;
  /** Back to a mock without fault or counted requests, and no wire answers. */
  reset(): void;
  close(): Promise<void>;
}

/** By default a subgraph's own tests run as the development officer's agency and purpose (the land-registration rule). */
const HARNESS_CALLER: PurposefulOfficer = {
  kind: 'officer',
  agency: 'BNNMT',
  officer: 'harness',
  roles: [],
  purpose: 'land-transfer',
  caseNumber: 'HS-HARNESS',
  issuer: 'api-key',
};

/** A subgraph's Apollo server in this process, over adapters to its mock backend and to a stand-in backend. */
export async function startSubgraphUnderTest<TAdapter extends Adapter, TLoaders>(
  definition: SubgraphDefinition<TAdapter, TLoaders>,
  handlers: MockRoute[],
  options: { backendTimeoutMs: number; /** Who the operations are run for: an officer the policy grants the subgraph's categories. */ caller?: PurposefulOfficer },
): Promise<SubgraphUnderTest<TAdapter>> {
  const backends: BackendUnderTest<TAdapter>[] = [];
  async function startBackend(backendHandlers: MockRoute[]): Promise<BackendUnderTest<TAdapter>> {
    const mock = await startMockBackend(definition.system, backendHandlers);
    // These tests map each failure one call at a time; a circuit opened by an earlier test would
    // hide it. The circuit itself is tested in lib/runtime/resilience.test.ts and test/failures.test.ts.
    const resilience = { ...DEFAULT_RESILIENCE, breakerFailures: Number.MAX_SAFE_INTEGER };
    const client = new BackendClient({ system: definition.system, baseUrl: mock.url, timeoutMs: options.backendTimeoutMs, resilience });
    const backend = { mock, adapter: definition.createAdapter(client) };
    backends.push(backend);
    return backend;
  }

  const { mock, adapter } = await startBackend(handlers);
  const wireAnswers = new Map<string, unknown>();
  const { adapter: wireAdapter } = await startBackend([route.any('*', ({ path }) => ({ status: 200, json: wireAnswers.get(path) }))]);
  const graphql = createSubgraphGraphQL(definition);

  async function execute<TData>(query: string, variables: Record<string, unknown> = {}, over: TAdapter = adapter) {
    const { body } = await graphql.execute<TData>(
      { query, variables },
      { requestId: 't', loaders: definition.createLoaders(over, { requestId: 't' }), caller: options.caller ?? HARNESS_CALLER },
    );
    return body;
  }

  return {
    mock,
    adapter,
    wireAdapter,
    wireAnswers,
    startBackend,
    execute,
    reset() {
      mock.setFault({ mode: 'ok' });
      mock.resetStats();
      wireAnswers.clear();
    },
    async close() {
      for (const backend of backends) {
        await backend.adapter.close();
        await backend.mock.close();
      }
    },
  };
}
