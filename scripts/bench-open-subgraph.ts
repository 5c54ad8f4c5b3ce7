/**
 * One subgraph of `npm run bench:compare` (scripts/bench-compare.ts) without access control, so that
 * the peer gateways, which cannot sign this project's caller assertions, can answer the portal query:
 * what a federation gateway costs on that query with nothing of this project's access control, on the
 * gateway's side or the subgraphs'. Which subgraph is `BENCH_OPEN_SUBGRAPH`; everything else comes
 * from that system's subgraph settings (`<PREFIX>_SUBGRAPH_PORT`, `<PREFIX>_BACKEND_URL`, …), as for
 * the subgraph itself.
 *
 * Nothing checks the caller here, and personal data is served to anyone who asks: it listens on
 * loopback for the benchmark only. A development tool: nothing in the services imports it.
 */
import { parseSettings } from '../lib/runtime/settings.ts';
import { BENCH_OPEN_SUBGRAPH_SETTINGS, subgraphSettings } from '../lib/runtime/process-settings.ts';
import { createLogger } from '../lib/runtime/logger.ts';
import { processEnvironment, startOrExit, stopOnSignals } from '../lib/runtime/process.ts';
import { startSubgraph, subgraphConfig } from '../lib/runtime/subgraph.ts';
import { SUBGRAPHS } from '../subgraphs/index.ts';

const { system } = parseSettings(BENCH_OPEN_SUBGRAPH_SETTINGS, processEnvironment());
const logger = createLogger(`${system}-open-subgraph`);
await startOrExit(logger, async () => {
  const config = subgraphConfig(parseSettings(subgraphSettings(system), processEnvironment()));
  if (config.host !== '127.0.0.1') throw new Error(`a subgraph without access control listens on loopback only, not on ${config.host}`);
  const running = await startSubgraph(SUBGRAPHS[system], { ...config, access: { ...config.access, enabled: false, callerSecret: undefined } }, logger);
  logger.warn({ url: `${running.url}/graphql` }, 'subgraph WITHOUT access control listening (bench:compare only)');
  stopOnSignals(logger, running.close);
});
