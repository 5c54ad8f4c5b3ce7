import { runMockBackendProcess } from '../../../lib/devkit/mock-server.ts';
import { populationHandlers } from './handlers.ts';

await runMockBackendProcess('population', populationHandlers());
