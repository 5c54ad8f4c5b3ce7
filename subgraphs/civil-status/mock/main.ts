import { runMockBackendProcess } from '../../../lib/mock-server.ts';
import { civilStatusHandlers } from './handlers.ts';

await runMockBackendProcess('civil-status', civilStatusHandlers());
