import { createLogger } from '../lib/logger.ts';
import { processEnvironment, startOrExit, stopOnSignals } from '../lib/process.ts';
import { startTracing } from '../lib/tracing.ts';
import { gatewayConfigFromEnv, startGateway } from './server.ts';

const logger = createLogger('gateway');
await startOrExit(logger, async () => {
  startTracing('gateway', logger);
  const config = gatewayConfigFromEnv(processEnvironment());
  const gateway = await startGateway(config, logger);
  logger.info({ url: gateway.graphqlUrl, supergraph: config.supergraphPath, subgraphs: config.subgraphUrls }, 'gateway listening');
  stopOnSignals(logger, gateway.close);
});
