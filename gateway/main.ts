import { createLogger } from '../lib/logger.ts';
import { startOrExit, stopOnSignals } from '../lib/process.ts';
import { gatewayConfigFromEnv, startGateway } from './server.ts';

const logger = createLogger('gateway');
await startOrExit(logger, async () => {
  const config = gatewayConfigFromEnv();
  const gateway = await startGateway(config, logger);
  logger.info({ url: gateway.graphqlUrl, supergraph: config.supergraphPath, subgraphs: config.subgraphUrls }, 'gateway listening');
  stopOnSignals(logger, gateway.close);
});
