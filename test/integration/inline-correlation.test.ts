/**
 * Correlating in the append's transaction (the ingest thread's writer): the same incidents,
 * alerts and timeline as the correlator's own passes would make from the same events; never
 * ahead of events that were stored earlier and still wait; and nothing lost when applying fails.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAlertEvents, countPendingEvents } from '../../server/src/db/alert-events-repo.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { correlatorSettings, createCorrelator, type CorrelatorMetrics } from '../../server/src/services/correlator.js';
import { createEventWriter } from '../../server/src/services/ingest-alerts.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;

const firing = (instance: string, service: string, at: number, endsAt: number | null = at + 5 * MIN): AlertEvent =>
  makeAlertEvent({ fingerprint: `fp-${instance}`, startsAt: at, endsAt, labels: { alertname: 'HighLatency', service, instance, severity: 'critical' }, annotations: { summary: `latency on ${instance}` } });

const resolved = (e: AlertEvent, at: number): AlertEvent => ({ ...e, status: 'resolved', endsAt: at });

/** The batches one sender posts, in order: new alerts, a lease extension, a resolve, a late joiner. */
function batches(): AlertEvent[][] {
  const a = firing('a:9100', 'checkout', T0);
  const b = firing('b:9100', 'checkout', T0 + 1_000);
  return [
    [a, b, firing('c:9100', 'payments', T0 + 2_000)],
    [firing('a:9100', 'checkout', T0, T0 + 20 * MIN), resolved(b, T0 + 3 * MIN)],
    [firing('d:9100', 'checkout', T0 + 4 * MIN), a],
  ];
}

function countingMetrics(): CorrelatorMetrics & { errors: number; opened: number } {
  const m = {
    errors: 0,
    opened: 0,
    incidentsOpened: { inc: () => void m.opened++ },
    alertsSuppressed: { inc: () => {} },
    correlatorErrors: { inc: () => void m.errors++ },
  };
  return m;
}

/** A correlator on the test server's connection and a writer that may apply in its transaction. */
function inlineWriter(s: TestServer, options: { failAfter?: number } = {}) {
  const metrics = countingMetrics();
  let calls = 0;
  const correlator = createCorrelator(
    s.runtime.handle,
    s.clock,
    {
      ...correlatorSettings(s.runtime.config),
      // Asked for once per transaction, before the engine runs: fails from call `failAfter` on
      // (a failure around the engine; one inside it sets only that event aside, see dead-letters.test.ts).
      catalogue: () => {
        if (options.failAfter !== undefined && calls++ >= options.failAfter) throw new Error('catalogue unavailable');
        return s.runtime.catalogue.graph();
      },
    },
    metrics,
    pino({ level: 'silent' }),
  );
  const writer = createEventWriter(s.runtime.handle, { correlate: correlator.inline, windowMs: 0 });
  return { correlator, writer, metrics };
}

/** What correlation made, without ids or times that depend on when it ran. */
async function outcome(s: TestServer) {
  const db = s.runtime.handle.db;
  const incidents = await db.selectFrom('incidents').select(['id', 'title', 'status', 'priority', 'service', 'alert_count', 'firing_count', 'opened_at', 'last_activity_at']).orderBy('id').execute();
  const alerts = await db.selectFrom('alerts').select(['fingerprint', 'status', 'starts_at', 'ends_at', 'occurrences', 'incident_id', 'resolved_by']).orderBy('fingerprint').execute();
  const timeline = await db.selectFrom('incident_timeline').select(['incident_id', 'at', 'kind', 'message', 'data']).orderBy('id').execute();
  return { incidents, alerts, timeline };
}

describe('correlating in the append transaction', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async () => {
    const s = await startTestServer('sqlite');
    servers.push(s);
    return s;
  };

  it('leaves nothing pending and makes what the correlator passes make from the same batches', async () => {
    const inline = await start();
    const passes = await start();
    const { writer } = inlineWriter(inline);
    let step = 0;
    for (const batch of batches()) {
      inline.clock.set(T0 + (++step) * MIN);
      passes.clock.set(T0 + step * MIN);
      const appended = await writer.append(batch, inline.clock.now());
      // Correlated in the same commit: nothing waits, the incidents are there already.
      expect(await countPendingEvents(inline.runtime.handle.db)).toBe(0);
      const { stored } = await passes.runtime.writer.append(batch, passes.clock.now());
      expect(appended).toEqual({ stored, correlated: stored });
      await passes.settle();
    }
    const made = await outcome(inline);
    expect(made.incidents.map((i) => [i.service, i.alert_count])).toEqual([
      ['checkout', 3],
      ['payments', 1],
    ]);
    // The lease extension reached the alert, and the resolve counted.
    expect(made.alerts.find((a) => a.fingerprint === 'fp-a:9100')?.ends_at).toBe(T0 + 20 * MIN);
    expect(made.alerts.find((a) => a.fingerprint === 'fp-b:9100')).toMatchObject({ status: 'resolved', resolved_by: 'sender' });
    expect(made).toEqual(await outcome(passes));
  });

  it('does not overtake events stored earlier that still wait: those are applied first, in log order', async () => {
    const s = await start();
    const db = s.runtime.handle.db;
    const { writer, correlator } = inlineWriter(s);
    // Stored by another writer (another connection, or a backlog after a restart) and not applied yet.
    await appendAlertEvents(db, [firing('early:9100', 'search', T0)], T0);
    expect(await writer.append([firing('late:9100', 'search', T0 + 1_000)], T0 + 1_000)).toEqual({ stored: 1, correlated: 0 });
    expect(await countPendingEvents(db)).toBe(2);
    await correlator.drain();
    expect(await countPendingEvents(db)).toBe(0);
    const made = await outcome(s);
    expect(made.incidents).toHaveLength(1);
    // The earlier event opened the incident; the later one joined it.
    expect(made.timeline.filter((t) => t.kind === 'opened' || t.kind === 'alert_joined').map((t) => [t.kind, JSON.parse(t.data as string).fingerprint])).toEqual([
      ['opened', 'fp-early:9100'],
      ['alert_joined', 'fp-late:9100'],
    ]);
    // Caught up: the next append is applied with it again.
    expect(await writer.append([firing('next:9100', 'search', T0 + 2_000)], T0 + 2_000)).toEqual({ stored: 1, correlated: 1 });
    expect(await countPendingEvents(db)).toBe(0);
    expect((await outcome(s)).incidents[0]?.alert_count).toBe(3);
  });

  it('stores the events as pending when applying them fails, and counts the error', async () => {
    const s = await start();
    const db = s.runtime.handle.db;
    // Correlating the group fails: the whole transaction is rolled back, and the group stored alone.
    const { writer, metrics } = inlineWriter(s, { failAfter: 0 });
    const batch = batches()[0] as AlertEvent[];
    expect(await writer.append(batch, T0)).toEqual({ stored: batch.length, correlated: 0 });
    expect(metrics.errors).toBe(1);
    // Nothing of the rolled-back attempt is counted (the correlator's pass counts it once).
    expect(metrics.opened).toBe(0);
    expect(await countPendingEvents(db)).toBe(batch.length);
    expect((await outcome(s)).incidents).toEqual([]);
    // The server's own correlator takes them.
    await s.settle();
    expect(await countPendingEvents(db)).toBe(0);
    expect((await outcome(s)).incidents).toHaveLength(2);
  });

  it('correlates a group of concurrent requests in log order, a re-send in a later request included', async () => {
    const inline = await start();
    const passes = await start();
    const { writer, metrics } = inlineWriter(inline);
    const first = [firing('a:9100', 'checkout', T0), firing('b:9100', 'checkout', T0 + 1_000)];
    // The same alert again with a later lease (an update of the first request's row), and a new one.
    const second = [firing('a:9100', 'checkout', T0, T0 + 30 * MIN), firing('c:9100', 'payments', T0 + 2_000)];
    // Not awaited one by one: both requests wait for the same commit.
    const answers = await Promise.all([writer.append(first, T0), writer.append(second, T0)]);
    expect(answers).toEqual([
      { stored: 2, correlated: 2 },
      { stored: 2, correlated: 2 },
    ]);
    expect(await countPendingEvents(inline.runtime.handle.db)).toBe(0);
    expect(metrics.opened).toBe(2);
    await passes.runtime.writer.append(first, T0);
    await passes.runtime.writer.append(second, T0);
    await passes.settle();
    const made = await outcome(inline);
    expect(made.alerts.find((a) => a.fingerprint === 'fp-a:9100')).toMatchObject({ ends_at: T0 + 30 * MIN, occurrences: 1 });
    expect(made).toEqual(await outcome(passes));
  });

  it('leaves a group larger than it correlates at once to the correlator, which then applies it', async () => {
    const s = await start();
    const db = s.runtime.handle.db;
    const { writer, correlator } = inlineWriter(s);
    const storm = Array.from({ length: correlator.inline.maxEvents + 1 }, (_, i) => firing(`storm-${i}:9100`, 'search', T0 + i));
    expect(await writer.append(storm, T0)).toEqual({ stored: storm.length, correlated: 0 });
    expect(await countPendingEvents(db)).toBe(storm.length);
    await correlator.drain();
    expect(await countPendingEvents(db)).toBe(0);
    expect((await outcome(s)).incidents.map((i) => i.alert_count)).toEqual([storm.length]);
  });
});
