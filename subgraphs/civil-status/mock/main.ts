import { runMockBackendProcess } from '../../../lib/devkit/mock-server.ts';
import { civilStatusHandlers } from './handlers.ts';

await runMockBackendProcess('civil-status', civilStatusHandlers());
