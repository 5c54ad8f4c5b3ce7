import { runMockBackendProcess } from '../../../lib/devkit/mock-server.ts';
import { publicServicesHandlers } from './handlers.ts';

await runMockBackendProcess('public-services', publicServicesHandlers());
