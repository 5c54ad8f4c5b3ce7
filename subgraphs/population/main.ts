import { runSubgraphProcess } from '../../lib/runtime/subgraph.ts';
import { populationSubgraph } from './index.ts';

await runSubgraphProcess(populationSubgraph);
