/**
 * `npm run check-connections`: the integrators' connection test, run from this machine against each
 * system's backend exactly as its subgraph is configured (`<PREFIX>_BACKEND_URL`, or loopback at
 * `<PREFIX>_BACKEND_PORT`; `<PREFIX>_BACKEND_TIMEOUT_MS`), e.g. `LAND_BACKEND_URL=https://their-host npm run check-connections -- --system land`.
 * One real round trip per contract check, reads only; exit 0 when every system passed, 1 otherwise.
 */
import { exitWithUsage, parseOptions, settingsOrExit, urlWithoutPassword } from '../lib/runtime/cli.ts';
import { testBackendConnection, type ConnectionTestReport } from '../lib/backend/connection-test.ts';
import { CHECK_CONNECTIONS_SETTINGS } from '../lib/runtime/process-settings.ts';
import { shownDefault, SYSTEM_SETTINGS } from '../lib/runtime/settings.ts';
import { SYSTEM_IDS, SYSTEMS, type SystemId } from '../lib/runtime/systems.ts';
import { SUBGRAPHS } from '../subgraphs/index.ts';

const USAGE = `Usage: npm run check-connections -- [--system <id>]... [--json]

Tests each system's backend connection from this machine, as its subgraph is configured
(<PREFIX>_BACKEND_URL, <PREFIX>_BACKEND_TIMEOUT_MS): GET /v1/health, then one read of each
endpoint the adapter uses, timed and checked against the adapter's contract. Reads only.

  --system <id>  ${SYSTEM_IDS.join(', ')} (repeatable; default: all four)
  --json         print the reports as JSON
  --help         print this text

Environment, per system: ${SYSTEM_IDS.map((id) => SYSTEMS[id].envPrefix).join(', ')}
  <PREFIX>_BACKEND_URL         base URL of the backend (default http://127.0.0.1:<PREFIX>_BACKEND_PORT,
                               the mocks of npm start; the port defaults to ${SYSTEM_IDS.map((id) => shownDefault(SYSTEM_SETTINGS[id].backendPort)).join(', ')})
  <PREFIX>_BACKEND_TIMEOUT_MS  deadline of each check (default ${shownDefault(SYSTEM_SETTINGS.land.backendTimeoutMs)})

Exit status: 0 when every system passed, 1 when any failed, 2 on a usage or configuration error.
`;

function parseCommandLine(argv: string[]): { systems: SystemId[]; json: boolean } {
  const values = parseOptions(argv, { system: { type: 'string', multiple: true }, json: { type: 'boolean' } }, USAGE);
  const unknown = (values.system ?? []).filter((id) => !(SYSTEM_IDS as string[]).includes(id));
  if (unknown.length > 0) exitWithUsage(`Unknown system ${unknown.map((id) => `"${id}"`).join(', ')}.`, USAGE);
  const asked = new Set(values.system ?? SYSTEM_IDS);
  return { systems: SYSTEM_IDS.filter((id) => asked.has(id)), json: values.json ?? false };
}

const msText = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)} ms`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const { systems, json } = parseCommandLine(process.argv.slice(2));
const settings = settingsOrExit(CHECK_CONNECTIONS_SETTINGS);
const configs = systems.map((system) => ({ system, backendUrl: settings.systems[system].backendUrl, timeoutMs: settings.systems[system].backendTimeoutMs }));

const reports: ConnectionTestReport[] = await Promise.all(
  configs.map(({ system, backendUrl, timeoutMs }) => testBackendConnection({ system, baseUrl: backendUrl, checks: SUBGRAPHS[system].contractChecks, timeoutMs })),
);
const failed = reports.filter((report) => report.verdict !== 'PASSED');

if (json) {
  process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
} else {
  const lines = [
    table([
      ['SYSTEM', 'BACKEND', 'VERDICT', 'CONNECT', 'FIRST BYTE', 'TOTAL', 'PROBLEM'],
      ...reports.map((report, i) => [
        report.system,
        urlWithoutPassword(configs[i]!.backendUrl),
        report.verdict,
        msText(report.connectMs),
        msText(report.firstByteMs),
        msText(report.totalMs),
        report.problem ?? '',
      ]),
    ]),
  ];
  for (const report of failed) {
    const check = report.checks.find((c) => c.verdict !== 'PASSED')!;
    lines.push(
      '',
      `${report.system}: ${check.name} ${check.verdict}${check.httpStatus === null ? '' : ` (HTTP ${check.httpStatus})`}`,
      `  expected: ${check.expectation}`,
      `  problem:  ${check.problem}`,
    );
  }
  lines.push(
    '',
    failed.length === 0
      ? reports.length === 1
        ? `${reports[0]!.system}: passed.`
        : `All ${reports.length} systems passed.`
      : `${failed.length} of ${reports.length} system${reports.length === 1 ? '' : 's'} failed: ${failed
          .map((report) => `${report.system} (${report.verdict}: ${report.problem})`)
          .join(', ')}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exitCode = failed.length === 0 ? 0 : 1;
