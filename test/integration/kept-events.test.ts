/**
 * Events handed from the writer to the correlator in memory must be exactly what the
 * correlator would have read back from the event log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alertEventsById, appendAlertEvents, eventIdsAfter, eventsAfter, readLogCursor } from '../../server/src/db/alert-events-repo.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { KeptEvents } from '../../server/src/services/correlator.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const event = (n: number, summary: string, endsAt: number | null = T0 + 60_000): AlertEvent =>
  makeAlertEvent({
    fingerprint: `fp-${n}`,
    endsAt,
    labels: { alertname: 'Kept', instance: `host-${n}` },
    annotations: { summary },
    generatorUrl: n % 2 ? null : `http://gen/${n}`,
  });

describe('events kept for the correlator', () => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  it('returns the appended events as the log stores them, re-sends included, in log order', async () => {
    s = await startTestServer('sqlite');
    const db = s.runtime.handle.db;
    await s.settle();
    const cursor = await readLogCursor(db);
    const first = await appendAlertEvents(db, [event(1, 'first copy'), event(2, 'two'), event(1, 'second copy', T0 + 30_000)], T0);
    const second = await appendAlertEvents(db, [event(2, 'two, re-sent', T0 + 120_000), event(3, 'three')], T0 + 5);
    const all = [...first, ...second];
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
    const read = await eventsAfter(db, cursor, 10);
    expect(all).toEqual(read);
    expect(await eventIdsAfter(db, cursor, 10)).toEqual(all.map((e) => e.id));
    expect(await alertEventsById(db, [all[3]?.id as number])).toMatchObject([{ fingerprint: 'fp-2', endsAt: T0 + 120_000, annotations: { summary: 'two, re-sent' } }]);
  });

  it('hands each event over once and stays bounded', () => {
    const kept = new KeptEvents(3);
    const e = (id: number) => ({ ...event(id, `e${id}`), id, receivedAt: T0 });
    kept.add([e(1), e(2), e(3)]);
    expect(kept.take(2)?.id).toBe(2);
    expect(kept.take(2)).toBeUndefined();
    kept.add([e(4), e(5), e(6)]);
    expect(kept.size).toBe(3);
    // The oldest went first.
    expect(kept.take(1)).toBeUndefined();
    expect(kept.take(3)).toBeUndefined();
    expect(kept.take(6)?.id).toBe(6);
  });
});
