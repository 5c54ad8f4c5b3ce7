import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { gatewayConfigFromEnv } from '../gateway/server.ts';
import { ENVIRONMENT_VARIABLES } from '../lib/runtime/environment.ts';
import { processEnvironment } from '../lib/runtime/process.ts';
import { subgraphConfigFromEnv } from '../lib/runtime/subgraph.ts';
import { deployedServiceSettings } from '../lib/runtime/process-settings.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { settingsReadBy } from '../lib/runtime/settings.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const documented = new Set(ENVIRONMENT_VARIABLES.map((v) => v.name));
/** Where the credentials volume is mounted, in every container that uses it. */
const CREDENTIALS_DIR = '/run/lien-thong';
/** The services built from this repository's image (PostgreSQL is the official postgres image). */
const ownServices = Object.entries(compose.services).filter(([, service]) => service.image === 'lien-thong:local');

/**
 * `docker-compose config` of Debian's docker-compose package (Compose 1.29): a real implementation of
 * the Compose file format that validates and resolves a file without a Docker engine.
 */
function composeConfig(files: string[], stdin?: string): { status: number | null; stdout: string; stderr: string } {
  const args = [...files.flatMap((file) => ['-f', file]), '--project-directory', root, 'config'];
  const result = spawnSync('docker-compose', args, { cwd: root, input: stdin, encoding: 'utf8', env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' } });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('docker-compose is not installed: install the Debian package docker-compose (apt-get install -y docker-compose)');
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('docker-compose.yml', () => {
  it('has one service per mock backend and subgraph, the gateway, PostgreSQL and the one-shot credentials service', () => {
    const expected = [...SYSTEM_IDS.flatMap((id) => [`mock-${id}`, id]), 'gateway', 'postgres', 'credentials'];
    expect(Object.keys(compose.services).sort()).toEqual(expected.sort());
    expect(compose.services.postgres!.image).toBe('postgres:15');
    expect(ownServices.map(([name]) => name).sort()).toEqual(expected.filter((name) => name !== 'postgres').sort());
  });

  it("starts each service as node on a compiled entry whose source the build compiles (no npm, no tsx), the gateway and the subgraphs with the services' young generation", () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { files: string[] };
    for (const [name, service] of ownServices) {
      const [program, ...options] = service.command!;
      expect(program, `${name}: program`).toBe('node');
      const heap = name === 'gateway' || (SYSTEM_IDS as readonly string[]).includes(name) ? SERVICE_HEAP_OPTIONS : [];
      expect(options.slice(0, heap.length), `${name}: V8 options`).toEqual(heap);
      const entry = options[heap.length];
      const source = /^dist\/(.+)\.js$/.exec(entry!)?.[1];
      expect(source, `${name}: entry ${entry}`).toBeDefined();
      expect(existsSync(join(root, `${source}.ts`)), `${name}: source ${source}.ts`).toBe(true);
      expect(build.files, `${name}: tsconfig.build.json compiles ${source}.ts`).toContain(`${source}.ts`);
    }
    for (const file of ['Dockerfile', 'package-lock.json', 'schema/supergraph.graphql', 'data/administrative-units.json', 'data/programme-06-facts.json']) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });

  it('gives each process only settings its schema reads (lib/runtime/process-settings.ts), with the default ports', () => {
    for (const [name, service] of ownServices) {
      // The one-shot credentials service shares the common variables; it reads none of them.
      const known = name === 'credentials' ? documented : new Set(settingsReadBy(deployedServiceSettings(name)).map((setting) => setting.name));
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(known.has(variable), `${name}: ${variable} is not a setting it reads`).toBe(true);
      }
    }
    const services = compose.services;
    for (const id of SYSTEM_IDS) {
      const { envPrefix, subgraphPort, backendPort } = SYSTEMS[id];
      expect(services[`mock-${id}`]!.environment![`${envPrefix}_BACKEND_PORT`]).toBe(String(backendPort));
      expect(services[id]!.environment![`${envPrefix}_SUBGRAPH_PORT`]).toBe(String(subgraphPort));
      expect(services[id]!.environment![`${envPrefix}_BACKEND_URL`]).toBe(`http://mock-${id}:${backendPort}`);
      expect(services.gateway!.environment![`${envPrefix}_SUBGRAPH_URL`]).toBe(`http://${id}:${subgraphPort}/graphql`);
    }
    expect(services.gateway!.environment!.GATEWAY_PORT).toBe(String(GATEWAY_PORT));
    for (const [name, service] of ownServices) {
      if (name !== 'credentials') expect(service.environment!.HOST, name).toBe('0.0.0.0');
    }
  });

  it('publishes the gateway, and the subgraphs and mock fault switches on loopback only; PostgreSQL not at all', () => {
    const services = compose.services;
    expect(services.gateway!.ports).toEqual([`${GATEWAY_PORT}:${GATEWAY_PORT}`]);
    for (const id of SYSTEM_IDS) {
      const { subgraphPort, backendPort } = SYSTEMS[id];
      expect(services[id]!.ports).toEqual([`127.0.0.1:${subgraphPort}:${subgraphPort}`]);
      expect(services[`mock-${id}`]!.ports).toEqual([`127.0.0.1:${backendPort}:${backendPort}`]);
    }
    expect(services.postgres!.ports).toBeUndefined();
    expect(services.credentials!.ports).toBeUndefined();
  });

  it('needs nothing from the host: no bind mount, no secret from the shell; credentials come from the one-shot service', () => {
    expect(composeText).not.toMatch(/\$\{?[A-Z_]+/);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        expect(Object.keys(compose.volumes), `${name}: ${volume} is a named volume`).toContain(source);
      }
    }
    const credentials = compose.services.credentials!;
    expect(credentials.restart).toBe('no');
    expect(credentials.volumes).toEqual([`credentials:${CREDENTIALS_DIR}`]);
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'credentials' || !service.volumes?.some((v) => v.startsWith('credentials:'))) continue;
      expect(service.volumes, `${name} mounts the credentials read-only`).toContain(`credentials:${CREDENTIALS_DIR}:ro`);
      expect(service.depends_on?.credentials, `${name} waits for the credentials`).toEqual({ condition: 'service_completed_successfully' });
    }
    for (const id of SYSTEM_IDS) expect(compose.services[id]!.depends_on?.credentials).toBeDefined();
    expect(compose.services.gateway!.depends_on?.credentials).toBeDefined();
    expect(compose.services.gateway!.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    // Docker gives a new named volume the owner of the image folder it is first mounted on.
    const mountPoint = read('Dockerfile')
      .split('\n')
      .find((line) => line.includes(CREDENTIALS_DIR) && /\b(chown|install)\b/.test(line));
    expect(mountPoint, `the Dockerfile makes ${CREDENTIALS_DIR} for node`).toMatch(/\bnode\b/);
  });

  it("checks each service's health on /health (pg_isready for PostgreSQL)", () => {
    for (const [name, service] of ownServices) {
      if (name === 'credentials') continue;
      const port =
        name === 'gateway'
          ? GATEWAY_PORT
          : name.startsWith('mock-')
            ? SYSTEMS[name.slice(5) as keyof typeof SYSTEMS].backendPort
            : SYSTEMS[name as keyof typeof SYSTEMS].subgraphPort;
      expect(service.healthcheck?.test?.join(' '), name).toContain(`http://127.0.0.1:${port}/health`);
    }
    expect(compose.services.postgres!.healthcheck?.test).toContain('pg_isready');
  });

  it('is a valid Compose file for docker-compose, which resolves it as intended', () => {
    const { status, stdout, stderr } = composeConfig(['docker-compose.yml']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const resolved = parse(stdout) as ComposeFile;
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(compose.services).sort());
    expect(resolved.services.gateway!.depends_on).toMatchObject({
      credentials: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
    });
    expect(resolved.services.gateway!.environment).toMatchObject({ DATABASE_URL_FILE: `${CREDENTIALS_DIR}/database-url`, NODE_ENV: 'production' });
  });

  it('and the secrets override for a real deployment too', () => {
    const { status, stdout, stderr } = composeConfig(['docker-compose.yml', 'deploy/compose/secrets.yml']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const gateway = (parse(stdout) as ComposeFile).services.gateway!;
    expect(gateway.environment).toMatchObject({ CALLER_ASSERTION_SECRET_FILE: '/run/secrets/caller_assertion_secret', DATABASE_URL_FILE: '/run/secrets/database_url' });
  });

  it('docker-compose refuses a broken copy (so the check above means something)', () => {
    const broken = parse(composeText, { merge: true }) as ComposeFile;
    broken.services.gateway!.depends_on!.credentials = { condition: 'service_finished' };
    const result = composeConfig(['-'], stringify(broken));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('service_finished');

    const unknownOption = composeText.replace('    restart: "no"\n', '    restart_policy: "no"\n');
    expect(unknownOption).not.toBe(composeText);
    const second = composeConfig(['-'], unknownOption);
    expect(second.status).not.toBe(0);
    expect(second.stderr).toContain('restart_policy');
  });
});

describe('the credentials service and the services that read its files', () => {
  let folder: string;
  /** A service's environment from docker-compose.yml, with the volume's path replaced by the test's folder. */
  const environmentOf = (service: string): NodeJS.ProcessEnv =>
    Object.fromEntries(Object.entries(compose.services[service]!.environment!).map(([name, value]) => [name, value.replace(CREDENTIALS_DIR, folder)]));

  beforeAll(() => {
    folder = join(mkdtempSync(join(tmpdir(), 'lt-credentials-')), 'volume');
    const args = compose.services.credentials!.command!.slice(2).map((arg) => (arg === CREDENTIALS_DIR ? folder : arg));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/dev-credentials.ts', ...args], { cwd: root, encoding: 'utf8' });
  });
  afterAll(() => rmSync(join(folder, '..'), { recursive: true, force: true }));

  it('writes every file the compose file names, secrets owner-only', () => {
    const named = Object.values(compose.services).flatMap((service) => Object.values(service.environment ?? {}).filter((value) => value.startsWith(`${CREDENTIALS_DIR}/`)));
    expect(named.length).toBeGreaterThan(5);
    for (const path of new Set(named)) {
      const file = path.replace(CREDENTIALS_DIR, folder);
      expect(existsSync(file), path).toBe(true);
      if (!file.endsWith('.json')) expect(statSync(file).mode & 0o077, `${path} is owner-only`).toBe(0);
    }
    expect(statSync(folder).mode & 0o777).toBe(0o700);
  });

  it('gives the gateway, in production, its secrets, issuers, API keys and PostgreSQL access log from those files', () => {
    const config = gatewayConfigFromEnv(processEnvironment(environmentOf('gateway')));
    expect(config.production).toBe(true);
    expect(config.access.callerSecret?.byteLength).toBeGreaterThanOrEqual(32);
    expect(config.access.authentication.issuers.length).toBe(2);
    expect(config.access.authentication.apiKeys.length).toBe(1);
    expect(JSON.stringify(config.access.log)).toMatch(/postgres:\/\/lien_thong:[A-Za-z0-9_-]{40,}@postgres:5432\/lien_thong/);
  });

  it('gives every subgraph the same caller-assertion secret as the gateway', () => {
    const gatewaySecret = gatewayConfigFromEnv(processEnvironment(environmentOf('gateway'))).access.callerSecret;
    for (const id of SYSTEM_IDS) {
      expect(subgraphConfigFromEnv(id, processEnvironment({ ...environmentOf(id), NODE_ENV: 'production' })).access.callerSecret).toEqual(gatewaySecret);
    }
  });

  it("keeps the keys on the next run, and PostgreSQL's password with them", () => {
    const before = ['caller-assertion-secret', 'access-log-key', 'postgres-password', 'issuers.json'].map((file) => readFileSync(join(folder, file), 'utf8'));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/dev-credentials.ts', '--out', folder, '--postgres', 'postgres:5432'], { cwd: root });
    const after = ['caller-assertion-secret', 'access-log-key', 'postgres-password', 'issuers.json'].map((file) => readFileSync(join(folder, file), 'utf8'));
    expect(after).toEqual(before);
  });

  it('refuses a secret set both directly and as a file, and a file that cannot be read', () => {
    const env = environmentOf('gateway');
    expect(() => processEnvironment({ ...env, ACCESS_LOG_KEY: 'x'.repeat(40) })).toThrow('Both ACCESS_LOG_KEY and ACCESS_LOG_KEY_FILE are set');
    expect(() => processEnvironment({ ...env, ACCESS_LOG_KEY_FILE: join(folder, 'missing') })).toThrow(/ACCESS_LOG_KEY_FILE names .*missing, which cannot be read \(ENOENT\)/);
  });
});
