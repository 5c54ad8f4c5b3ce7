/**
 * Preloaded by the npm scripts that start one service or verify the access log
 * (`node --import tsx --import ./scripts/dev-environment.ts gateway/main.ts`): puts the development
 * key set of `.dev/` (made by `npm start`) in the process's environment before the service reads it,
 * unless `NODE_ENV` is `production`. The services themselves never read `.dev/`.
 */
import { withDevEnvironment } from '../lib/devkit/dev-credentials.ts';

Object.assign(process.env, withDevEnvironment(process.env));
