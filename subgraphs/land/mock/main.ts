import { runMockBackendProcess } from '../../../lib/devkit/mock-server.ts';
import { landHandlers } from './handlers.ts';

await runMockBackendProcess('land', landHandlers());
