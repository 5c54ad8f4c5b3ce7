/**
 * `npm run build`: compiles the services and the production scripts (tsconfig.build.json) to
 * `dist/`, then copies beside them the files the code reads at run time — schemas, data, the access
 * policy, the status page's style and script — at the same relative places, so that every
 * `import.meta.url` lookup finds them inside dist/ and dist/ runs alone with production dependencies.
 * `--out-dir DIR` builds elsewhere (DIR must be inside the repository, for node_modules to resolve).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions } from '../lib/runtime/cli.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Folders whose run-time files are copied, and which files those are. */
const ASSET_FOLDERS = ['data', 'gateway', 'lib', 'policy', 'schema', 'subgraphs'];
const ASSET_FILE = /\.(graphql|json|css)$|\.browser\.js$/;

const USAGE = `Usage: npm run build [-- --out-dir DIR]

Compiles the services to DIR (default dist/) and copies the files they read at run time.
`;

/** Every run-time file of the code folders, relative to the repository. */
function assetFiles(root: string = ROOT): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (ASSET_FILE.test(entry.name)) found.push(path);
    }
  };
  for (const folder of ASSET_FOLDERS) walk(folder);
  return found.sort();
}

const values = parseOptions(process.argv.slice(2), { 'out-dir': { type: 'string' } }, USAGE);
const outDir = resolve(ROOT, values['out-dir'] ?? 'dist');
if (relative(ROOT, outDir).startsWith('..') || outDir === resolve(ROOT)) {
  console.error(`--out-dir must be a folder inside ${ROOT}: the compiled code finds node_modules there.`);
  process.exit(2);
}

// A clean build: nothing left over from a file that no longer exists.
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const assets = assetFiles();
for (const file of assets) {
  mkdirSync(dirname(join(outDir, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(outDir, file));
}
console.log(`Compiled to ${relative(process.cwd(), outDir) || '.'}/ and copied ${assets.length} run-time files.`);
