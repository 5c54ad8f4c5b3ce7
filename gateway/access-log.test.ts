import { describe, expect, it } from 'vitest';
import type { StoredAccessRecord } from '../lib/access-log/types.ts';
import { DEFAULT_ACCESS_POLICY_FILE, loadAccessPolicy } from '../lib/access/policy.ts';
import { accessLogResolvers } from './access-log.ts';

const resolvers = accessLogResolvers(undefined, loadAccessPolicy(DEFAULT_ACCESS_POLICY_FILE)) as Record<string, Record<string, (record: unknown) => unknown>>;
const record = (agency: string, at: string) => ({ agency, at }) as StoredAccessRecord;

describe('the agency of an access-log record', () => {
  it('is the agency that had the code on the day of the access in Viet Nam, a code continuing across a merger', () => {
    for (const view of ['AccessLogEntry', 'DataAccessEvent']) {
      const agencyOf = resolvers[view]!.agency!;
      expect(agencyOf(record('BTC', '2025-02-28T12:00:00.000Z')), view).toEqual({ __typename: 'Agency', id: 'BTC' });
      // 2025-02-28 17:00 UTC is 2025-03-01 00:00 in Viet Nam: the Bộ Tài chính formed that day.
      expect(agencyOf(record('BTC', '2025-02-28T17:00:00.000Z')), view).toEqual({ __typename: 'Agency', id: 'BTC-2025-03-01' });
      expect(agencyOf(record('BTNMT', '2024-10-01T03:00:00.000Z')), view).toEqual({ __typename: 'Agency', id: 'BTNMT' });
      expect(agencyOf(record('BNNMT', '2026-06-01T03:00:00.000Z')), view).toEqual({ __typename: 'Agency', id: 'BNNMT-2025-03-01' });
      // A code no agency had that day names none.
      expect(agencyOf(record('BTNMT', '2026-06-01T03:00:00.000Z')), view).toBeNull();
    }
  });
});
