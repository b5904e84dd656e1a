/**
 * Log retention: applied events older than `correlation.logRetention` leave the log; an event
 * the correlator has not applied, and Sightline's own events, stay. On both databases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendAlertEvents, countAlertEvents, countPendingEvents, deleteAppliedEvents } from '../../server/src/db/alert-events-repo.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const DAY = 86_400_000;
const event = (n: number, source: 'api' | 'sightline' = 'api') =>
  makeAlertEvent({ source, fingerprint: `${source === 'sightline' ? 'Internal:' : 'fp-'}${n}`, startsAt: T0 + n, labels: { alertname: `Kept${n}`, service: 'retention', instance: `host-${n}` } });

describe.each(dialects())('alert event log retention (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  it('trims applied events past the retention, keeps the rest', async () => {
    s = await startTestServer(dialect, { SIGHTLINE_LOG_RETENTION: '1d' });
    const db = s.runtime.handle.db;
    await appendAlertEvents(db, [event(1), event(2), event(3, 'sightline')], T0);
    await s.settle();
    expect(await countPendingEvents(db)).toBe(0);
    // Two days on: one more event arrives and is applied; the old ones go, Sightline's own stays.
    s.clock.set(T0 + 2 * DAY);
    await appendAlertEvents(db, [event(4)], T0 + 2 * DAY);
    await s.settle();
    const left = (await db.selectFrom('alert_events').select('fingerprint').orderBy('id').execute()).map((r) => r.fingerprint);
    expect(left).toEqual(['Internal:3', 'fp-4']);
    // An old event not applied yet is never deleted (nor Sightline's own).
    await appendAlertEvents(db, [event(5)], T0);
    expect((await deleteAppliedEvents(db, T0 + 1, 100)).deleted).toBe(0);
    expect(await countAlertEvents(db)).toBe(3);
  });

  it('is not held up by Sightline\'s own events at the front of the log', async () => {
    s = await startTestServer(dialect, { SIGHTLINE_LOG_RETENTION: '1d' });
    const db = s.runtime.handle.db;
    // More of Sightline's own (kept) events at the front than one round looks at.
    await appendAlertEvents(db, [event(1, 'sightline'), event(2, 'sightline'), event(3, 'sightline'), event(4), event(5), event(6)], T0);
    await s.settle();
    expect(await deleteAppliedEvents(db, T0 + 2 * DAY, 3)).toEqual({ examined: 3, deleted: 3 });
    const left = (await db.selectFrom('alert_events').select('fingerprint').orderBy('id').execute()).map((r) => r.fingerprint);
    expect(left).toEqual(['Internal:1', 'Internal:2', 'Internal:3']);
  });
});
