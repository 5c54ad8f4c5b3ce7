import { runSubgraphProcess } from '../../lib/runtime/subgraph.ts';
import { publicServicesSubgraph } from './index.ts';

await runSubgraphProcess(publicServicesSubgraph);
