import { runMockBackendProcess } from '../../../lib/mock-server.ts';
import { populationHandlers } from './handlers.ts';

await runMockBackendProcess('population', populationHandlers());
