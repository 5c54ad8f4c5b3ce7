/**
 * A stand-in service for the supervisor's tests: on `FLAKY_PORT` it answers `GET /health`, or not,
 * as the file `FLAKY_MODE_FILE` says when it starts — so a test changes what the next restart does.
 *   ok: answers. fail: logs one fatal line (as lib/runtime/process.ts's startOrExit) and exits 1. hang: listens, never answers.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const mode = readFileSync(process.env.FLAKY_MODE_FILE!, 'utf8').trim();
if (mode === 'fail') {
  console.log(JSON.stringify({ level: 60, msg: 'could not start: flaky on purpose', err: { message: 'flaky on purpose' } }));
  process.exit(1);
}
const server = createServer((req, res) => {
  if (mode === 'hang') return;
  res.end('ok');
});
server.listen(Number(process.env.FLAKY_PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
