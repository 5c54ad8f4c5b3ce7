import { runMockBackendProcess } from '../../../lib/mock-server.ts';
import { publicServicesHandlers } from './handlers.ts';

await runMockBackendProcess('public-services', publicServicesHandlers());
