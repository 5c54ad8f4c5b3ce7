import { runSubgraphProcess } from '../../lib/runtime/subgraph.ts';
import { civilStatusSubgraph } from './index.ts';

await runSubgraphProcess(civilStatusSubgraph);
