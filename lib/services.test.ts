import { describe, expect, it } from 'vitest';
import { connectionTestCommand } from './services.ts';
import { subgraphConfigFromEnv } from './subgraph.ts';
import { defaultBackendUrl, defaultSubgraphUrl } from './systems.ts';

describe('every process and CLI follows the same port settings', () => {
  it('reaches a backend and a subgraph at the ports npm start gives them when no URL is set', () => {
    const env = { LAND_BACKEND_PORT: '5103', LAND_SUBGRAPH_PORT: '5003' };
    expect(defaultBackendUrl('land', env)).toBe('http://127.0.0.1:5103');
    expect(defaultSubgraphUrl('land', env)).toBe('http://127.0.0.1:5003/graphql');
    expect(subgraphConfigFromEnv('land', env).backendUrl).toBe('http://127.0.0.1:5103');
    expect(subgraphConfigFromEnv('land', { ...env, LAND_BACKEND_URL: 'https://land-db.example.gov.vn/api' }).backendUrl).toBe(
      'https://land-db.example.gov.vn/api',
    );
    expect(defaultBackendUrl('land', {})).toBe('http://127.0.0.1:4103');
    expect(() => defaultBackendUrl('land', { LAND_BACKEND_PORT: 'x' })).toThrow('LAND_BACKEND_PORT');
  });

  it('suggests the connection test with the settings that differ from the defaults', () => {
    expect(connectionTestCommand({})).toBe('npm run check-connections');
    expect(connectionTestCommand({ LAND_BACKEND_PORT: '4103' })).toBe('npm run check-connections');
    expect(connectionTestCommand({ LAND_BACKEND_URL: 'https://land-db.example.gov.vn/api', POPULATION_BACKEND_PORT: '5101', LAND_BACKEND_PORT: '5103' })).toBe(
      'POPULATION_BACKEND_PORT=5101 LAND_BACKEND_URL=https://land-db.example.gov.vn/api npm run check-connections',
    );
  });
});
