import { runMockBackendProcess } from '../../../lib/mock-server.ts';
import { landHandlers } from './handlers.ts';

await runMockBackendProcess('land', landHandlers());
