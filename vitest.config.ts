import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three tiers (README, "Tests"). A file's tier is its name's suffix: `*.browser.test.ts` drives
 * Chromium, `*.integration.test.ts` starts child processes or needs other software installed, and
 * any other `*.test.ts` is a unit test. The files below were written before the suffixes and keep
 * their names. The unit tier's setup file makes starting a child process fail the test, so a file
 * in the wrong tier is found by its first run.
 */
const ROOTS = ['test', 'lib', 'subgraphs', 'gateway', 'schema'];
const under = (suffix: string) => ROOTS.map((root) => `${root}/**/*${suffix}`);

const BROWSER = [...under('.browser.test.ts'), 'test/status-page.test.ts'];

const INTEGRATION = [
  ...under('.integration.test.ts'),
  // PostgreSQL (test/support/postgres.ts)
  'lib/access-log/store.test.ts',
  'test/access-log-faults.test.ts',
  'test/access-log-load.test.ts',
  'test/audit-verify.test.ts',
  'test/caller-replay.test.ts',
  // our own processes: npm start, the compiled dist/, the CLIs, a second process holding a lock
  'test/access-log-sqlite-failures.test.ts',
  'test/build.test.ts',
  'test/check-connections.test.ts',
  'test/failures.test.ts',
  'test/start.test.ts',
  'test/supervisor.test.ts',
  'test/tracing.test.ts',
  // binaries of the operating system: ss, HAProxy, Prometheus and promtool, docker-compose
  'lib/runtime/http-server-listen.test.ts',
  'test/scaled.test.ts',
  'test/prometheus.test.ts',
  'test/docker-compose.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: under('.test.ts'),
          exclude: [...configDefaults.exclude, ...BROWSER, ...INTEGRATION],
          setupFiles: ['test/support/unit-tier.ts'],
          // One module graph per worker thread, not one per file: loading it is most of this tier's work.
          pool: 'threads',
          isolate: false,
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
    ],
  },
});
