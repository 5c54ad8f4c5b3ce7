/**
 * Where the development tooling runs from: the checkout under tsx, or the build's output folder
 * (dist/) once compiled, whose parent holds `.dev/` and `var/` as the checkout does.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This module runs compiled (`npm run build`, `node dist/…`) rather than as TypeScript under tsx. */
export const COMPILED = !import.meta.url.endsWith('.ts');
/** The folder the code runs from: the repository under tsx, the build's output folder (dist/) once compiled. */
export const CODE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The repository: where `.dev/` and `var/` are, and the services' working directory (dist/'s parent once compiled). */
export const REPO_ROOT = COMPILED ? join(CODE_ROOT, '..') : CODE_ROOT;
