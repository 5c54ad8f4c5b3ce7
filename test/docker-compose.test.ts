import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../lib/environment.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from '../lib/systems.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { command: string[]; environment: Record<string, string>; ports?: string[]; depends_on?: Record<string, unknown> }>;
};
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const documented = new Set(ENVIRONMENT_VARIABLES.map((v) => v.name));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Environment variable names the code reads, with `${envPrefix}` expanded for every system. */
function variablesReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const file of ['lib', 'gateway', 'subgraphs', 'scripts', 'schema'].flatMap(sourceFiles)) {
    const text = read(file);
    for (const match of text.matchAll(/env(?:String|Integer|PositiveInteger)\(\s*[`'"]([^`'"]+)[`'"]/g)) {
      const name = match[1]!;
      if (name.includes('${envPrefix}')) for (const id of SYSTEM_IDS) names.add(name.replace('${envPrefix}', SYSTEMS[id].envPrefix));
      else names.add(name);
    }
    for (const match of text.matchAll(/process\.env\.([A-Z_]+)/g)) names.add(match[1]!);
  }
  return names;
}

describe('docker-compose.yml', () => {
  it('has one service per mock backend and subgraph, and the gateway', () => {
    const expected = [...SYSTEM_IDS.flatMap((id) => [`mock-${id}`, id]), 'gateway'];
    expect(Object.keys(compose.services).sort()).toEqual(expected.sort());
  });

  it('starts each service with an npm script that exists and whose entry file exists', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const script = service.command.at(-1)!;
      expect(scripts[script], `${name}: npm script ${script}`).toBeDefined();
      const entry = /--import tsx (\S+\.ts)$/.exec(scripts[script]!)?.[1];
      expect(entry && existsSync(join(root, entry)), `${name}: entry ${entry}`).toBe(true);
    }
    for (const file of ['Dockerfile', 'package-lock.json', 'schema/supergraph.graphql', 'data/provinces.json', 'data/programme-06-facts.json']) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });

  it('uses only environment variables the code reads, with the default ports', () => {
    const readByCode = variablesReadByCode();
    for (const [name, service] of Object.entries(compose.services)) {
      for (const variable of Object.keys(service.environment)) {
        expect(readByCode.has(variable), `${name}: ${variable} is not read by the code`).toBe(true);
      }
    }
    for (const id of SYSTEM_IDS) {
      const { envPrefix, subgraphPort, backendPort } = SYSTEMS[id];
      expect(compose.services[`mock-${id}`]!.environment[`${envPrefix}_BACKEND_PORT`]).toBe(String(backendPort));
      expect(compose.services[id]!.environment[`${envPrefix}_SUBGRAPH_PORT`]).toBe(String(subgraphPort));
      expect(compose.services[id]!.environment[`${envPrefix}_BACKEND_URL`]).toBe(`http://mock-${id}:${backendPort}`);
      expect(compose.services.gateway!.environment[`${envPrefix}_SUBGRAPH_URL`]).toBe(`http://${id}:${subgraphPort}/graphql`);
    }
    expect(compose.services.gateway!.environment.GATEWAY_PORT).toBe(String(GATEWAY_PORT));
    expect(compose.services.gateway!.ports).toEqual([`${GATEWAY_PORT}:${GATEWAY_PORT}`]);
    expect(compose.services.gateway!.environment.HOST).toBe('0.0.0.0');
  });

  it('documents every variable the code reads, and the README lists them', () => {
    const readme = read('README.md');
    for (const name of variablesReadByCode()) {
      if (name === 'VITEST' || name === 'APOLLO_TELEMETRY_DISABLED') continue; // set by the test runner / by the gateway itself
      expect(documented.has(name), `${name} is read by the code but not in lib/environment.ts`).toBe(true);
    }
    for (const name of documented) expect(readme, `README does not document ${name}`).toContain(`\`${name}\``);
  });
});
