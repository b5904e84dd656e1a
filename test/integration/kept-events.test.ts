/**
 * Events handed from the writer to the correlator in memory must be exactly what the
 * correlator would have read back from the event log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alertEventsById, appendAlertEventsKept, pendingAlertEvents, pendingEventHeads } from '../../server/src/db/alert-events-repo.js';
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

  it('returns the inserted events as the log stores them, and leaves updated ones to be read back', async () => {
    s = await startTestServer('sqlite');
    const db = s.runtime.handle.db;
    // fp-1 twice in one batch (the first copy is stored; the second does not extend the lease).
    const first = await appendAlertEventsKept(db, [event(1, 'first copy'), event(2, 'two'), event(1, 'second copy', T0 + 30_000)], T0);
    expect(first.count).toBe(2);
    const stored = await pendingAlertEvents(db, 10);
    expect(first.events).toEqual(stored);
    expect(first.events.find((e) => e.fingerprint === 'fp-1')?.annotations).toEqual({ summary: 'first copy' });
    // A lease extension updates a row: counted, but not handed over (the log keeps the first copy's other values).
    const second = await appendAlertEventsKept(db, [event(2, 'two, re-sent', T0 + 120_000), event(3, 'three')], T0 + 5);
    expect(second.count).toBe(2);
    expect(second.events.map((e) => e.fingerprint)).toEqual(['fp-3']);
    const heads = await pendingEventHeads(db, 10);
    expect(heads).toEqual((await pendingAlertEvents(db, 10)).map((e) => ({ id: e.id, revision: e.revision })));
    expect(await alertEventsById(db, [heads[1]?.id as number])).toMatchObject([{ fingerprint: 'fp-2', revision: 1, endsAt: T0 + 120_000, annotations: { summary: 'two' } }]);
  });

  it('hands each event over once, only at the revision asked for, and stays bounded', () => {
    const kept = new KeptEvents(3);
    const e = (id: number, revision = 0) => ({ ...event(id, `e${id}`), id, receivedAt: T0, revision });
    kept.add([e(1), e(2), e(3)]);
    expect(kept.take(2, 0)?.id).toBe(2);
    expect(kept.take(2, 0)).toBeUndefined();
    // Changed since it was kept: not handed over, and forgotten.
    expect(kept.take(1, 1)).toBeUndefined();
    expect(kept.take(1, 0)).toBeUndefined();
    kept.add([e(4), e(5), e(6)]);
    expect(kept.size).toBe(3);
    // The oldest went first.
    expect(kept.take(3, 0)).toBeUndefined();
    expect(kept.take(6, 0)?.id).toBe(6);
  });
});
