/**
 * Appends one access record to a new SQLite access log at `process.argv[2]` (its worker thread
 * writes it), then prints `appended`: run under a service's own Node options by
 * test/service-scripts.integration.test.ts.
 */
import { SqliteAccessLog } from '../../lib/access-log/sqlite-store.ts';
import { accessRecord } from '../../lib/devkit/test-credentials.ts';

const log = new SqliteAccessLog(process.argv[2]!, 'a-chain-key-of-at-least-thirty-two-chars');
try {
  await log.append([accessRecord(1)]);
  console.log('appended');
} finally {
  await log.close();
}
