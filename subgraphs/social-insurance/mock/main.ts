import { runMockBackendProcess } from '../../../lib/devkit/mock-server.ts';
import { socialInsuranceHandlers } from './handlers.ts';

await runMockBackendProcess('social-insurance', socialInsuranceHandlers());
