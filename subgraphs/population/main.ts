import { runSubgraphProcess } from '../../lib/subgraph.ts';
import { populationSubgraph } from './index.ts';

await runSubgraphProcess(populationSubgraph);
