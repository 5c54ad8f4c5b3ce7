import { createLogger } from '../lib/runtime/logger.ts';
import { processEnvironment, startOrExit, stopOnSignals } from '../lib/runtime/process.ts';
import { startTracing } from '../lib/runtime/tracing.ts';
import { GATEWAY_SETTINGS } from '../lib/runtime/process-settings.ts';
import { parseSettings } from '../lib/runtime/settings.ts';
import { gatewayConfig, startGateway } from './server.ts';

const logger = createLogger('gateway');
await startOrExit(logger, async () => {
  const settings = parseSettings(GATEWAY_SETTINGS, processEnvironment());
  startTracing('gateway', logger, settings.tracing);
  const config = gatewayConfig(settings);
  const gateway = await startGateway(config, logger);
  logger.info({ url: gateway.graphqlUrl, supergraph: config.supergraphPath, subgraphs: config.subgraphUrls }, 'gateway listening');
  stopOnSignals(logger, gateway.close);
});
