import { runSubgraphProcess } from '../../lib/subgraph.ts';
import { civilStatusSubgraph } from './index.ts';

await runSubgraphProcess(civilStatusSubgraph);
