import { runSubgraphProcess } from '../../lib/runtime/subgraph.ts';
import { socialInsuranceSubgraph } from './index.ts';

await runSubgraphProcess(socialInsuranceSubgraph);
