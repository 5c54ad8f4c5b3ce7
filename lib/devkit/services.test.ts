import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT_SETTINGS } from '../runtime/process-settings.ts';
import { SERVICE_HEAP_OPTIONS } from '../runtime/service-layout.ts';
import { connectionTestCommand, REPO_ROOT, serviceArguments, systemLayout } from './services.ts';
import { parseSettings, SYSTEM_SETTINGS } from '../runtime/settings.ts';
import { subgraphConfigFromEnv } from '../runtime/subgraph.ts';

describe('every process and CLI follows the same port settings', () => {
  it('reaches a backend and a subgraph at the ports npm start gives them when no URL is set', () => {
    const env = { LAND_BACKEND_PORT: '5103', LAND_SUBGRAPH_PORT: '5003' };
    const land = { backendUrl: SYSTEM_SETTINGS.land.backendUrl, subgraphUrl: SYSTEM_SETTINGS.land.subgraphUrl };
    expect(parseSettings(land, env)).toEqual({ backendUrl: 'http://127.0.0.1:5103', subgraphUrl: 'http://127.0.0.1:5003/graphql' });
    expect(subgraphConfigFromEnv('land', env).backendUrl).toBe('http://127.0.0.1:5103');
    expect(subgraphConfigFromEnv('land', { ...env, LAND_BACKEND_URL: 'https://land-db.example.gov.vn/api' }).backendUrl).toBe('https://land-db.example.gov.vn/api');
    expect(parseSettings(land, {}).backendUrl).toBe('http://127.0.0.1:4103');
    expect(() => parseSettings(land, { LAND_BACKEND_PORT: 'x' })).toThrow('LAND_BACKEND_PORT is "x", expected a port from 0 to 65535');
    const layout = systemLayout(env);
    expect(layout.services.find((service) => service.name === 'land-subgraph')?.port).toBe(5003);
    expect(layout.env).toMatchObject({ LAND_BACKEND_URL: 'http://127.0.0.1:5103', LAND_SUBGRAPH_URL: 'http://127.0.0.1:5003/graphql', LOG_LEVEL: 'warn' });
  });

  it('suggests the connection test with the settings that differ from the defaults', () => {
    const command = (env: Record<string, string>) => connectionTestCommand(parseSettings(LAYOUT_SETTINGS, env));
    expect(command({})).toBe('npm run check-connections');
    expect(command({ LAND_BACKEND_PORT: '4103' })).toBe('npm run check-connections');
    expect(command({ LAND_BACKEND_URL: 'https://land-db.example.gov.vn/api', POPULATION_BACKEND_PORT: '5101', LAND_BACKEND_PORT: '5103' })).toBe(
      'POPULATION_BACKEND_PORT=5101 LAND_BACKEND_URL=https://land-db.example.gov.vn/api npm run check-connections',
    );
  });
});

describe("the gateway's and the subgraphs' young generation", () => {
  it('is started with its options by npm start, npm run start:<service>, and not for a mock backend', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const service of systemLayout({}).services) {
      const heap = service.name.startsWith('mock-') ? [] : SERVICE_HEAP_OPTIONS;
      expect(serviceArguments(service, undefined), service.name).toEqual([...heap, '--import', 'tsx/esm', service.entry]);
      expect(serviceArguments(service, '/srv/dist'), service.name).toEqual([...heap, `/srv/dist/${service.entry.replace(/\.ts$/, '.js')}`]);
      const words = scripts[`start:${service.name.replace(/-subgraph$/, '')}`]!.split(' ');
      expect(words.slice(1, 1 + heap.length), service.name).toEqual(heap);
      expect(words[1 + heap.length], service.name).toBe('--import');
    }
  });
});
