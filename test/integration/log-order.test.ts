/**
 * PostgreSQL replicas append to the log concurrently, and a row with a smaller id may commit
 * after one with a larger id. The correlator must never move its cursor past an event whose
 * transaction is still open: it would never apply it. (SQLite has one writer at a time.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendAlertEvents, countPendingEvents } from '../../server/src/db/alert-events-repo.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const event = (instance: string) => makeAlertEvent({ source: 'api', fingerprint: `fp-${instance}`, labels: { alertname: 'Ordered', service: 'log-order', instance } });

describe.each(dialects().filter((d) => d === 'postgres'))('log order with concurrent appends (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  it('applies an event whose transaction committed after a later one, never skipping it', async () => {
    s = await startTestServer(dialect);
    const db = s.runtime.handle.db;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let appended: () => void = () => {};
    const inserted = new Promise<void>((resolve) => (appended = resolve));
    // A: appended first (smaller id), committed last.
    const slow = db.transaction().execute(async (trx) => {
      await appendAlertEvents(trx, [event('a:1')], T0);
      appended();
      await held;
    });
    await inserted;
    // B: appended and committed meanwhile (larger id).
    await appendAlertEvents(db, [event('b:1')], T0 + 1);
    // The correlator runs while A is still open, then A commits.
    const drained = s.runtime.correlator.drain();
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await slow;
    await drained;
    await s.settle();
    const alerts = (await db.selectFrom('alerts').select('fingerprint').orderBy('fingerprint').execute()).map((a) => a.fingerprint);
    expect(alerts).toEqual(['fp-a:1', 'fp-b:1']);
    expect(await countPendingEvents(db)).toBe(0);
  });
});
