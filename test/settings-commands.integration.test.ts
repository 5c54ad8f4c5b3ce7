import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

describe('settings of the commands (lib/runtime/process-settings.ts)', () => {
  it('stop every command that starts or reaches the services before it does anything, naming the invalid ones', () => {
    const env = { ...process.env, GATEWAY_PORT: '4000x', LAND_BACKEND_PORT: '70000', RESTART_DELAY_MS: '0' };
    const expected = (names: string[]) => {
      const issues: Record<string, string> = {
        GATEWAY_PORT: 'GATEWAY_PORT is "4000x", expected a port from 0 to 65535',
        LAND_BACKEND_PORT: 'LAND_BACKEND_PORT is "70000", expected a port from 0 to 65535',
        RESTART_DELAY_MS: 'RESTART_DELAY_MS is "0", expected an integer from 1 to 2147483647',
      };
      return `Invalid settings: ${names.map((name) => issues[name]).join('; ')}\n`;
    };
    for (const [script, names] of [
      ['scripts/start.ts', ['GATEWAY_PORT', 'LAND_BACKEND_PORT', 'RESTART_DELAY_MS']],
      ['scripts/start-scaled.ts', ['GATEWAY_PORT', 'LAND_BACKEND_PORT', 'RESTART_DELAY_MS']],
      ['scripts/health-check.ts', ['GATEWAY_PORT', 'LAND_BACKEND_PORT']],
      ['scripts/check-connections.ts', ['LAND_BACKEND_PORT']],
    ] as const) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...(script.includes('health') ? ['gateway'] : [])], { cwd: root, env, encoding: 'utf8' });
      expect({ script, status: run.status, stderr: run.stderr, stdout: run.stdout }).toEqual({ script, status: 2, stderr: expected([...names]), stdout: '' });
    }
  }, 60_000);
});
