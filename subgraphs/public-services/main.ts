import { runSubgraphProcess } from '../../lib/subgraph.ts';
import { publicServicesSubgraph } from './index.ts';

await runSubgraphProcess(publicServicesSubgraph);
