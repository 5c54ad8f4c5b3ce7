import { runSubgraphProcess } from '../../lib/subgraph.ts';
import { landSubgraph } from './index.ts';

await runSubgraphProcess(landSubgraph);
