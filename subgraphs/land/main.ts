import { runSubgraphProcess } from '../../lib/runtime/subgraph.ts';
import { landSubgraph } from './index.ts';

await runSubgraphProcess(landSubgraph);
