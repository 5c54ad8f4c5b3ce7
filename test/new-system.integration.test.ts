import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../lib/devkit/services.ts';
import { SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';
import { DEPLOYMENT_FILES } from '../scripts/new-system.ts';
import { runNode, type Finished } from './support/child-process.ts';

/**
 * `npm run new-system`, run where it cannot harm the checkout: in a copy of the working tree (its
 * node_modules linked, not copied), which must then type-check, compose and pass the new subgraph's
 * own tests, with the new system in every registry.
 */
const NAME = 'driving-licences';
const CAMEL = 'drivingLicences';
const PREFIX = 'DRIVING_LICENCES';
const SKIPPED = new Set(['node_modules', '.git', 'var', 'dist']);
/** The next free ports, after the systems of this checkout. */
const SUBGRAPH_PORT = Math.max(...Object.values(SYSTEMS).map((system) => system.subgraphPort)) + 1;
const BACKEND_PORT = Math.max(...Object.values(SYSTEMS).map((system) => system.backendPort)) + 1;
/** The files the generator changes besides the new subgraph's own (schema/supergraph.graphql and the generated types are checked by their own tests). */
const CHANGED = [
  'lib/runtime/systems.ts',
  'subgraphs/index.ts',
  'lib/devkit/mock-backends.ts',
  'codegen.ts',
  'schema/subgraphs.json',
  'policy/access-policy.json',
  'package.json',
  'tsconfig.build.json',
  ...DEPLOYMENT_FILES,
];

let copy: string;
let generated: Finished;
const read = (path: string) => readFileSync(join(copy, path), 'utf8');
/** The environment of a child that runs vitest itself: without this run's own VITEST_* variables. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
const run = (args: string[], timeoutMs: number) => runNode(args, { cwd: copy, env: childEnv, timeoutMs });
const generator = (...args: string[]) => run(['--import', 'tsx', 'scripts/new-system.ts', ...args], 90_000);

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'lien-thong-new-system-'));
  cpSync(REPO_ROOT, copy, { recursive: true, filter: (source) => !SKIPPED.has(relative(REPO_ROOT, source).split(sep)[0] ?? '') });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
}, 30_000);
afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('npm run new-system', () => {
  it('refuses a name that is not kebab-case, or an existing system, with exit code 2 and nothing written', async () => {
    const before = read('schema/subgraphs.json');
    // Through the npm script, as a developer runs it.
    const badName = spawnSync('npm', ['run', '--silent', 'new-system', '--', 'Driving_Licences'], { cwd: copy, env: childEnv, encoding: 'utf8', timeout: 60_000 });
    expect(badName.status, badName.stderr).toBe(2);
    expect(badName.stderr).toContain('"Driving_Licences" is not in kebab-case');
    const existing = await generator('land');
    expect(existing.code, existing.stderr).toBe(2);
    expect(existing.stderr).toContain('"land" is an existing system');
    const none = await generator();
    expect(none.code).toBe(2);
    expect(read('schema/subgraphs.json')).toBe(before);
    expect(before).not.toContain(NAME);
  }, 90_000);

  it('scaffolds a subgraph that type-checks, composes and passes its own tests', async () => {
    generated = await generator(NAME);
    expect(generated.code, generated.stderr + generated.stdout).toBe(0);
    expect(generated.stdout).toContain(`subgraphs/${NAME}/${NAME}.test.ts`);
    expect(generated.stdout).toContain('Next steps:');

    const written = [`subgraphs/${NAME}`, ...CHANGED];
    const [typecheck, compose, tests, lint, format] = await Promise.all([
      run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], 120_000),
      run(['--import', 'tsx', 'schema/compose.ts'], 60_000),
      run(['node_modules/vitest/vitest.mjs', 'run', `subgraphs/${NAME}/${NAME}.test.ts`], 60_000),
      run(['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', ...written.filter((path) => !/\.(json|ya?ml|md|graphql)$/.test(path))], 120_000),
      run(['node_modules/prettier/bin/prettier.cjs', '--check', ...written], 60_000),
    ]);
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(format.code, format.stdout + format.stderr).toBe(0);
    expect(compose.code, compose.stderr).toBe(0);
    // Every system's subgraph, the new one's, and the gateway's own two (connections, access log).
    expect(compose.stdout).toMatch(new RegExp(`Wrote .*supergraph\\.graphql \\(\\d+ bytes, ${SYSTEM_IDS.length + 3} subgraphs\\)`));
    expect(tests.code, tests.stdout + tests.stderr).toBe(0);
    expect(Number(/Tests\s+(?:\S+\s+)?(\d+) passed/.exec(stripVTControlCharacters(tests.stdout))?.[1])).toBeGreaterThanOrEqual(10);
  }, 150_000);

  it('puts the new system in every registry the others are in', () => {
    expect(generated?.code).toBe(0);
    expect(read('lib/runtime/systems.ts')).toMatch(new RegExp(`export type SystemId = [^;]*'${NAME}';`));
    expect(read('lib/runtime/systems.ts')).toContain(`envPrefix: '${PREFIX}'`);
    expect(read('subgraphs/index.ts')).toContain(`'${NAME}': ${CAMEL}Subgraph`);
    expect(read('lib/devkit/mock-backends.ts')).toContain(`'${NAME}': () => ${CAMEL}Handlers()`);
    expect(read('codegen.ts')).toContain(`'subgraphs/${NAME}/generated/resolvers.ts'`);
    expect(read(`subgraphs/${NAME}/generated/resolvers.ts`)).toContain('Generated by `npm run codegen`');
    expect(read('gateway/connections.graphql')).toMatch(new RegExp(`enum System \\{[^}]*\\b${PREFIX}\\n\\}`));

    const subgraphs = (JSON.parse(read('schema/subgraphs.json')) as { subgraphs: { name: string; routingUrl: string }[] }).subgraphs;
    expect(subgraphs.find((s) => s.name === NAME)).toEqual({ name: NAME, schema: `subgraphs/${NAME}/schema.graphql`, routingUrl: `http://127.0.0.1:${SUBGRAPH_PORT}/graphql` });
    expect(read('schema/supergraph.graphql')).toContain(`${CAMEL}Record: DrivingLicencesRecord`);

    const policy = JSON.parse(read('policy/access-policy.json')) as {
      personalTypes: string[];
      categories: Record<string, { fields: string[] }>;
      rules: { id: string; categories: string[] }[];
    };
    expect(policy.personalTypes).toContain('DrivingLicencesRecord');
    expect(policy.categories[NAME]?.fields).toEqual([`Citizen.${CAMEL}Record`]);
    expect(policy.rules.find((rule) => rule.id === 'land-registration')?.categories).toContain(NAME);

    const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(packageJson.scripts[`start:${NAME}`]).toContain(`subgraphs/${NAME}/main.ts`);
    expect(packageJson.scripts[`start:mock-${NAME}`]).toContain(`subgraphs/${NAME}/mock/main.ts`);
    expect((JSON.parse(read('tsconfig.build.json')) as { files: string[] }).files).toEqual(expect.arrayContaining([`subgraphs/${NAME}/main.ts`, `subgraphs/${NAME}/mock/main.ts`]));

    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { environment?: Record<string, string>; depends_on?: Record<string, unknown> }> };
    expect(compose.services[NAME]?.environment?.[`${PREFIX}_BACKEND_URL`]).toBe(`http://mock-${NAME}:${BACKEND_PORT}`);
    expect(compose.services[`mock-${NAME}`]?.environment?.[`${PREFIX}_BACKEND_PORT`]).toBe(String(BACKEND_PORT));
    expect(compose.services.gateway?.environment?.[`${PREFIX}_SUBGRAPH_URL`]).toBe(`http://${NAME}:${SUBGRAPH_PORT}/graphql`);
    expect(compose.services.gateway?.depends_on).toHaveProperty(NAME);
    expect((parseYaml(read('deploy/compose/secrets.yml')) as { services: Record<string, unknown> }).services).toHaveProperty(NAME);
    const kubernetesObjects = (path: string) => parseAllDocuments(read(path)).map((doc) => doc.toJS() as { kind: string; metadata: { name: string } });
    expect(
      kubernetesObjects('deploy/kubernetes/base/subgraphs.yaml')
        .filter((o) => o.metadata.name === NAME)
        .map((o) => o.kind),
    ).toEqual(['Deployment', 'Service', 'PodDisruptionBudget']);
    expect(
      kubernetesObjects('deploy/kubernetes/development/mocks.yaml')
        .filter((o) => o.metadata.name === `mock-${NAME}`)
        .map((o) => o.kind),
    ).toEqual(['Deployment', 'Service']);
    expect(read('deploy/kubernetes/base/gateway.yaml')).toContain(`- name: ${PREFIX}_SUBGRAPH_URL`);
    expect(read('deploy/kubernetes/base/backends.yaml')).toContain(`${PREFIX}_BACKEND_URL:`);
    expect(read('deploy/kubernetes/development/backends.yaml')).toContain(`${PREFIX}_BACKEND_URL: "http://mock-${NAME}:${BACKEND_PORT}"`);
    expect(read('monitoring/prometheus/prometheus.yml')).toContain(`"127.0.0.1:${SUBGRAPH_PORT}"`);
    expect(read('README.md')).toContain(`| ${NAME} subgraph | ${SUBGRAPH_PORT} | \`start:${NAME}\` |`);
    expect(read('README.md')).toContain(`| \`${PREFIX}_BACKEND_URL\` |`);
  });

  it('leaves the whole unit tier passing, the new system in every test that spans the systems', async () => {
    expect(generated?.code).toBe(0);
    const unit = await run(['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit', '--maxWorkers=2'], 600_000);
    const summary = stripVTControlCharacters(unit.stdout);
    expect(unit.code, summary.slice(-4000) + unit.stderr).toBe(0);
    expect(summary).toMatch(/Test Files\s+\d+ passed/);
    expect(summary).not.toMatch(/\d+ failed/);
  }, 660_000);

  it('refuses to scaffold the same system twice', async () => {
    expect(generated?.code).toBe(0);
    const again = await generator(NAME);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain(`"${NAME}" is an existing system`);
  }, 60_000);
});
