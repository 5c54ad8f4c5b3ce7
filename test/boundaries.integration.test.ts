/**
 * The import boundaries of .dependency-cruiser.cjs (README: Repository layout), checked by
 * dependency-cruiser over the repository's code: production code never imports the development kit,
 * the scripts, the tests or a devDependency; the domain imports only the domain; nothing but tests
 * imports test/; no import cycle; every package imported is declared in package.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const PACKAGE = join(ROOT, 'node_modules', 'dependency-cruiser');
const CLI = join(PACKAGE, (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.depcruise!);
/** Every folder of code: the services, the library, the tools and the tests. */
const CODE_FOLDERS = ['lib', 'gateway', 'subgraphs', 'schema', 'scripts', 'scale', 'test'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/** A package by its name (`zod`), whichever of its files resolved; a module of the repository by its path. */
const moduleName = (path: string) => path.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1');

/** One line per violation: `rule: from → to` (a cycle: its whole path). */
function describeViolation({ rule, from, to, cycle }: Violation): string {
  return cycle ? `${rule.name}: ${[from, ...cycle.map((step) => step.name)].join(' → ')}` : `${rule.name}: ${from} → ${moduleName(to)}`;
}

/** dependency-cruiser's violations of the repository's rules over `folders`, run in `cwd`. */
function violations(cwd: string, folders: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, '--config', CONFIG, '--output-type', 'json', '--no-progress', ...folders],
      { cwd, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        // Exit code = the number of errors: the JSON on stdout says which.
        if (stdout.trim() === '') return reject(new Error(`dependency-cruiser printed nothing (${error?.message ?? 'no error'}):\n${stderr}`));
        const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
        resolve(result.summary.violations.map(describeViolation).sort());
      },
    );
  });
}

describe('import boundaries (dependency-cruiser, .dependency-cruiser.cjs)', () => {
  const fixture = join(ROOT, '.tmp', `boundaries-${process.pid}`);
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('the repository breaks none', async () => {
    expect(await violations(ROOT, CODE_FOLDERS)).toEqual([]);
  }, 180_000);

  it('each rule reports a tree that breaks it', async () => {
    // Inside the repository, so that its node_modules resolve the packages.
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'fixture', type: 'module', dependencies: { graphql: '*' }, devDependencies: { vitest: '*' } }),
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }),
      'gateway/main.ts': [
        "import { tool } from '../lib/devkit/tool.ts';",
        "import { helper } from '../test/helper.ts';",
        "import { describe } from 'vitest';",
        "import { z } from 'zod';",
        "import { parse } from 'graphql';",
        'export const all = [tool, helper, describe, z, parse];',
      ].join('\n'),
      'lib/devkit/tool.ts': 'export const tool = 1;',
      'test/helper.ts': 'export const helper = 1;',
      'lib/domain/date.ts': "import { logger } from '../runtime/logger.ts';\nimport { unit } from './unit.ts';\nexport const date = [logger, unit];",
      'lib/domain/unit.ts': "import { date } from './date.ts';\nexport const unit = () => date;",
      'lib/runtime/logger.ts': 'export const logger = 1;',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), `${text}\n`);
    }
    expect(await violations(fixture, ['gateway', 'lib', 'test'])).toEqual([
      'domain-imports-only-domain: lib/domain/date.ts → lib/runtime/logger.ts',
      'no-circular: lib/domain/date.ts → lib/domain/unit.ts → lib/domain/date.ts',
      'no-undeclared-package: gateway/main.ts → zod',
      'only-tests-import-tests: gateway/main.ts → test/helper.ts',
      'production-imports-no-dev-dependency: gateway/main.ts → vitest',
      'production-imports-no-development-code: gateway/main.ts → lib/devkit/tool.ts',
      'production-imports-no-development-code: gateway/main.ts → test/helper.ts',
    ]);
  }, 180_000);
});
