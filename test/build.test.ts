import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCredentials, type DevCredentials } from '../lib/devkit/dev-credentials.ts';
import { REPO_ROOT, serviceOfCommandLine, startServices, systemLayout, withFreePorts, type ServiceGroup } from '../lib/devkit/services.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { SYSTEM_IDS } from '../lib/runtime/systems.ts';
import { runNode } from './support/child-process.ts';
import { credentialHeaders } from '../lib/devkit/test-credentials.ts';
import { readmeCallerOf, readReadmeExamples } from './support/readme-examples.ts';

/**
 * `npm run build` and what runs in production: the compiled services started with plain `node`
 * (no tsx, no npm), with production dependencies only, as the Dockerfile runs them. The build goes to
 * a folder of its own inside the repository (for node_modules to resolve), not to dist/.
 */
const OUT_ROOT = join(REPO_ROOT, '.tmp', `build-test-${process.pid}`);
const OUT_DIR = join(OUT_ROOT, 'dist');
const ENTRIES = systemLayout({}).services.map((service) => service.entry.replace(/\.ts$/, '.js'));
const PRODUCTION_SCRIPTS = ['scripts/check-connections.js', 'scripts/audit-verify.js', 'scripts/health-check.js'];

const run = (args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 90_000) => runNode(args, { env, timeoutMs });

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)));
}

/** Package names a compiled module loads: `import … from 'x'`, `import('x')`, `require('x')`, `createRequire(…)('x')`. */
function importedPackages(code: string): string[] {
  const specifiers = [
    ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...code.matchAll(/createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfileInstructions(): { stage: string; instruction: string; args: string }[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  let stage = '';
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [instruction, ...rest] = line.split(/\s+/);
      const args = rest.join(' ');
      if (instruction === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
      return { stage, instruction: instruction!.toUpperCase(), args };
    });
}

/** A `dist/…` path of the image, in this test's build. */
const built = (imagePath: string) => join(OUT_DIR, imagePath.replace(/^(\/app\/)?dist\/?/, ''));

beforeAll(async () => {
  rmSync(OUT_ROOT, { recursive: true, force: true });
  const build = await run(['--import', 'tsx', 'scripts/build.ts', '--out-dir', OUT_DIR]);
  expect(build.code, `npm run build failed:\n${build.stdout}${build.stderr}`).toBe(0);
}, 120_000);

afterAll(() => rmSync(OUT_ROOT, { recursive: true, force: true }));

describe('npm run build', () => {
  it('compiles every service and production script, with the files they read, and nothing of the tests', () => {
    const files = filesUnder(OUT_DIR);
    for (const file of [...ENTRIES, ...PRODUCTION_SCRIPTS, 'lib/access-log/sqlite-worker.js']) expect(files, file).toContain(file);
    for (const file of [
      'schema/supergraph.graphql',
      'policy/access-policy.json',
      'data/administrative-units.json',
      'data/agencies.json',
      'data/programme-06-facts.json',
      'gateway/access-log.graphql',
      'gateway/connections.graphql',
      'gateway/status-page.css',
      'gateway/status-page.browser.js',
      'gateway/query-page.css',
      'gateway/query-page.browser.js',
      'subgraphs/land/schema.graphql',
      'subgraphs/public-services/mock/sector-databases.json',
    ]) {
      expect(files, file).toContain(file);
    }
    // No TypeScript: a worker or a service cannot fall back to tsx from dist/.
    expect(files.filter((file) => /\.(ts|mts|mjs)$/.test(file) || file.includes('.test.') || file.startsWith('test/'))).toEqual([]);
  });

  it('loads only production dependencies (tsx, typescript, vitest are development dependencies)', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const tool of ['tsx', 'typescript', 'vitest']) {
      expect(manifest.dependencies[tool], `${tool} in dependencies`).toBeUndefined();
      expect(manifest.devDependencies[tool], `${tool} in devDependencies`).toBeDefined();
    }
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const loaded = new Map<string, string>();
    for (const file of filesUnder(OUT_DIR).filter((f) => f.endsWith('.js') && !f.endsWith('.browser.js'))) {
      for (const name of importedPackages(readFileSync(join(OUT_DIR, file), 'utf8'))) loaded.set(name, file);
    }
    expect(loaded.size).toBeGreaterThan(10);
    for (const [name, file] of loaded) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, `${file} imports ${name}, which package-lock.json does not install`).toBeDefined();
      expect(entry!.dev ?? false, `${file} imports ${name}, a development dependency (absent after npm ci --omit=dev)`).toBe(false);
    }
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const stages = instructions.filter((i) => i.instruction === 'FROM').map((i) => i.stage);
  const runtime = instructions.filter((i) => i.stage === 'runtime');
  const exec = (instruction: string, from = runtime) => JSON.parse(from.find((i) => i.instruction === instruction)!.args) as string[];

  it('builds in one stage, installs production dependencies in another, and runs a third as uid 1000 under tini', () => {
    expect(stages).toEqual(['build', 'production-dependencies', 'runtime']);
    expect(instructions.some((i) => i.stage === 'build' && i.instruction === 'RUN' && i.args.includes('npm run build'))).toBe(true);
    expect(instructions.some((i) => i.stage === 'production-dependencies' && i.instruction === 'RUN' && i.args.includes('npm ci --omit=dev'))).toBe(true);
    expect(runtime.some((i) => i.instruction === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
    expect(runtime.filter((i) => i.instruction === 'USER').map((i) => i.args)).toEqual(['node']);
    expect(exec('ENTRYPOINT')).toEqual(['/usr/bin/tini', '--']);
    expect(runtime.find((i) => i.instruction === 'WORKDIR')?.args).toBe('/app');
    // Nothing but dist/, production node_modules and package.json (for "type": "module") reaches the runtime stage.
    expect(runtime.filter((i) => i.instruction === 'COPY').map((i) => i.args)).toEqual([
      'package.json ./',
      '--from=production-dependencies /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
    ]);
  });

  it('builds, compiles the native addon and runs on one Node.js image, of an LTS line that package.json admits', () => {
    // Before the first FROM, an ARG is global: the one place the Node.js line is named.
    const globalArgs = instructions.filter((i) => i.stage === '' && i.instruction === 'ARG').map((i) => i.args);
    const image = globalArgs.map((arg) => /^NODE_IMAGE=(\S+)$/.exec(arg)?.[1]).find(Boolean);
    expect(image, `no ARG NODE_IMAGE=… before the first FROM (${globalArgs.join('; ')})`).toMatch(/^node:\d+-bookworm-slim$/);
    // better-sqlite3 is compiled in production-dependencies for the Node.js that runtime runs: one image for all.
    expect(instructions.filter((i) => i.instruction === 'FROM').map((i) => i.args)).toEqual(stages.map((stage) => `\${NODE_IMAGE} AS ${stage}`));
    const major = Number(/^node:(\d+)/.exec(image!)![1]);
    expect(major % 2, `node:${major} is not an LTS line (only even ones are)`).toBe(0);
    const { engines } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(engines.node).toMatch(/^>=\d+\.\d+\.\d+$/);
    expect(major).toBeGreaterThanOrEqual(Number(/^>=(\d+)/.exec(engines.node)![1]));
  });

  it('runs the gateway by default and checks /health with files that the build makes', () => {
    const command = exec('CMD');
    expect(command).toEqual(['node', ...SERVICE_HEAP_OPTIONS, 'dist/gateway/main.js']);
    expect(existsSync(built(command.at(-1)!))).toBe(true);
    const healthcheck = runtime.find((i) => i.instruction === 'HEALTHCHECK')!.args;
    const probe = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(probe).toEqual(['node', 'dist/scripts/health-check.js']);
    expect(existsSync(built(probe[1]!))).toBe(true);
    for (const entry of [...ENTRIES, ...PRODUCTION_SCRIPTS]) expect(existsSync(built(`dist/${entry}`)), entry).toBe(true);
  });

  it('copies into the build stage every file that exists and that the build needs', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const copied = instructions.filter((i) => i.stage !== 'runtime' && i.instruction === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of copied) {
      expect(existsSync(join(REPO_ROOT, source)), `COPY ${source}`).toBe(true);
      expect(ignored, `COPY ${source} is excluded by .dockerignore`).not.toContain(source);
    }
    // Every folder the compiled code and its files come from, and the build's own configuration.
    const topFolders = new Set(filesUnder(OUT_DIR).map((file) => file.split('/')[0]!));
    for (const needed of [...topFolders, 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) {
      expect(copied, `the build stage does not COPY ${needed}`).toContain(needed);
    }
  });

  it('finds the service a container runs from its init process command line', () => {
    const { services } = systemLayout({});
    const of = (args: string[]) => serviceOfCommandLine(args, services)?.name;
    expect(of(['/usr/bin/tini', '--', 'node', 'dist/gateway/main.js'])).toBe('gateway');
    expect(of(['/usr/bin/tini', '--', 'node', 'dist/subgraphs/land/main.js'])).toBe('land-subgraph');
    expect(of(['/usr/bin/tini', '--', 'node', '/app/dist/subgraphs/land/mock/main.js'])).toBe('mock-land');
    expect(of(['/sbin/docker-init', '--', 'node', 'dist/subgraphs/civil-status/main.js'])).toBe('civil-status-subgraph');
    expect(of(['/usr/bin/tini', '--', 'node', 'dist/scripts/audit-verify.js'])).toBeUndefined();
  });
});

describe('the compiled services', () => {
  let group: ServiceGroup | undefined;
  let env: NodeJS.ProcessEnv;
  let credentials: DevCredentials;
  afterAll(() => group?.stopAll(), 30_000);

  beforeAll(async () => {
    // In production mode, as in the image: every secret and file given explicitly.
    const dev = await ensureDevCredentials(OUT_ROOT);
    credentials = dev.credentials;
    env = {
      ...(await withFreePorts(process.env)),
      ...dev.env,
      NODE_ENV: 'production',
      ACCESS_LOG_PATH: join(OUT_ROOT, 'var', 'access-log.sqlite'),
      LOG_LEVEL: 'warn',
    };
    group = await startServices(systemLayout(env), { compiledRoot: OUT_DIR, timeoutMs: 60_000 });
  }, 90_000);

  it('run as plain `node dist/…`: no tsx and no npm in any process command line', () => {
    const pids = new Set(group!.services.map((service) => service.pid!));
    // Any process a service started would be here too.
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const parent = Number(
          readFileSync(`/proc/${entry}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[1],
        );
        if (pids.has(parent)) pids.add(Number(entry));
      } catch {
        // Ended meanwhile.
      }
    }
    expect(pids.size).toBe(1 + 2 * SYSTEM_IDS.length);
    for (const service of group!.services) {
      const commandLine = readFileSync(`/proc/${service.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const heap = service.name.startsWith('mock-') ? [] : SERVICE_HEAP_OPTIONS;
      expect(commandLine, service.name).toEqual([process.execPath, ...heap, join(OUT_DIR, service.spec.entry.replace(/\.ts$/, '.js'))]);
    }
    for (const pid of pids) {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      expect(commandLine).not.toMatch(/\btsx\b|\bnpm\b/);
    }
  });

  it("answer every README example, as the README's callers with the development credentials, and log the personal reads (SQLite worker from dist/)", async () => {
    const setFault = async (system: string, mode: string) => {
      const response = await fetch(`${group!.get(`mock-${system}`).url}/_mock/fault`, { method: 'PUT', body: JSON.stringify({ mode }) });
      expect(response.status).toBe(200);
    };
    const examples = readReadmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const example of examples) {
      const { identity, purpose, caseNumber } = readmeCallerOf(example);
      const headers = credentialHeaders({ bearer: credentials[identity], purpose, caseNumber });
      for (const [system, mode] of example.faults) await setFault(system, mode);
      try {
        const response = await fetch(`${group!.gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: example.query, variables: example.variables }),
        });
        expect({ example: example.name, status: response.status, body: await response.json() }).toEqual({ example: example.name, status: 200, body: example.answer });
      } finally {
        for (const [system] of example.faults) await setFault(system, 'ok');
      }
    }

    const verify = await run([join(OUT_DIR, 'scripts/audit-verify.js'), '--json'], env);
    expect(verify.code, verify.stderr).toBe(0);
    const verification = JSON.parse(verify.stdout) as { ok: boolean; records: number };
    expect(verification.ok).toBe(true);
    expect(verification.records).toBeGreaterThan(0);
  });

  it('answer the image health check of a named service', async () => {
    const healthy = await run([join(OUT_DIR, 'scripts/health-check.js'), 'land-subgraph'], env);
    expect({ code: healthy.code, stdout: healthy.stdout.trim() }).toEqual({ code: 0, stdout: 'land-subgraph: GET /health 200' });
    const unknown = await run([join(OUT_DIR, 'scripts/health-check.js'), 'no-such-service'], env);
    expect(unknown.code).toBe(2);
  });
});
