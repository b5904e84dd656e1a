/**
 * An event the correlation engine throws on is set aside (dead letter, visible in the API and
 * in /metrics) and correlation goes on with the events around it, on both databases.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAlertEvents, countPendingEvents } from '../../server/src/db/alert-events-repo.js';
import { correlatorSettings, createCorrelator } from '../../server/src/services/correlator.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const event = (name: string, n: number) =>
  makeAlertEvent({ source: 'api', fingerprint: `fp-${name}-${n}`, startsAt: T0 + n * 1000, labels: { alertname: name, service: 'orders', instance: `host-${n}` } });

describe.each(dialects())('events the engine cannot apply (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  /** A correlator whose catalogue lookup, consulted for every firing alert, throws on the names `poisoned` accepts. */
  const poisonedCorrelator = (server: TestServer, poisoned: (name: string | undefined) => boolean, errors: { n: number }) =>
    createCorrelator(
      server.runtime.handle,
      server.clock,
      {
        ...correlatorSettings(server.runtime.config),
        catalogue: () => {
          const graph = server.runtime.catalogue.graph();
          const failing = Object.create(graph) as typeof graph;
          failing.serviceFor = (labels, host, explicit) => {
            if (poisoned(labels.alertname)) throw new Error('cannot place this alert');
            return graph.serviceFor(labels, host, explicit);
          };
          return failing;
        },
      },
      { incidentsOpened: { inc: () => {} }, alertsSuppressed: { inc: () => {} }, correlatorErrors: { inc: () => void errors.n++ } },
      pino({ level: 'silent' }),
    );

  it('fails the pass instead when every event of a large batch throws (a fault of its own, retried)', async () => {
    s = await startTestServer(dialect);
    const db = s.runtime.handle.db;
    const errors = { n: 0 };
    const correlator = poisonedCorrelator(s, () => true, errors);
    await appendAlertEvents(db, Array.from({ length: 12 }, (_, i) => event('Broken', i)), T0);
    await correlator.drain();
    await correlator.stop();
    expect(errors.n).toBe(1);
    expect(await countPendingEvents(db)).toBe(12);
    expect(await db.selectFrom('dead_letters').selectAll().execute()).toEqual([]);
  });

  it('sets aside an event whose application runs past the budget, and applies the others', async () => {
    s = await startTestServer(dialect);
    const db = s.runtime.handle.db;
    // The budget's clock moves 10 s while the service lookup runs for one alert name: that
    // event took 10 s to apply, twice the default budget (synchronous work cannot be cut off,
    // so it is judged when it ends and its changes are dropped).
    let elapsed = 0;
    const correlator = createCorrelator(
      s.runtime.handle,
      s.clock,
      {
        ...correlatorSettings(s.runtime.config),
        budgetClock: () => elapsed,
        catalogue: () => {
          const graph = s.runtime.catalogue.graph();
          const slow = Object.create(graph) as typeof graph;
          slow.serviceFor = (labels, host, explicit) => {
            if (labels.alertname === 'Hog') elapsed += 10_000;
            return graph.serviceFor(labels, host, explicit);
          };
          return slow;
        },
      },
      { incidentsOpened: { inc: () => {} }, alertsSuppressed: { inc: () => {} }, correlatorErrors: { inc: () => {} } },
      pino({ level: 'silent' }),
    );
    expect(s.runtime.config.correlation.eventBudget).toBe(5_000);
    const stored = await appendAlertEvents(db, [event('Slow', 1), event('Hog', 2), event('Errors', 3)], T0);
    await correlator.drain();
    await correlator.stop();
    expect(await countPendingEvents(db)).toBe(0);
    const alerts = (await db.selectFrom('alerts').select('fingerprint').orderBy('fingerprint').execute()).map((a) => a.fingerprint);
    expect(alerts).toEqual(['fp-Errors-3', 'fp-Slow-1']);
    const letters = await db.selectFrom('dead_letters').select(['event_id', 'error']).execute();
    expect(letters).toEqual([{ event_id: stored[1]?.id, error: `EventBudgetExceeded: applying event ${stored[1]?.id} took 10000 ms, over the budget of 5000 ms (correlation.eventBudget)` }]);
  });

  it('sets the event aside and applies the others around it', async () => {
    s = await startTestServer(dialect);
    const db = s.runtime.handle.db;
    const errors = { n: 0 };
    // The catalogue's service lookup, consulted for every firing alert, throws on one alert name.
    const correlator = poisonedCorrelator(s, (name) => name === 'Poison', errors);
    const stored = await appendAlertEvents(db, [event('Slow', 1), event('Poison', 2), event('Errors', 3)], T0);
    await correlator.drain();
    await correlator.stop();

    expect(await countPendingEvents(db)).toBe(0);
    expect(errors.n).toBe(0);
    const alerts = (await db.selectFrom('alerts').select('fingerprint').orderBy('fingerprint').execute()).map((a) => a.fingerprint);
    expect(alerts).toEqual(['fp-Errors-3', 'fp-Slow-1']);
    const incidents = await db.selectFrom('incidents').select(['alert_count']).execute();
    expect(incidents.map((i) => Number(i.alert_count))).toEqual([2]);

    const res = await s.request('GET', '/api/v1/dead-letters', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { eventId: number; fingerprint: string; error: string }[] };
    expect(body.items).toEqual([expect.objectContaining({ eventId: stored[1]?.id, fingerprint: 'fp-Poison-2', error: 'Error: cannot place this alert' })]);
    expect((await s.request('GET', '/api/v1/dead-letters?limit=0', { token: s.tokens.read })).status).toBe(400);
    const metrics = await (await s.request('GET', '/metrics', { token: null })).text();
    expect(metrics).toMatch(/^sightline_correlator_dead_letters 1$/m);

    // The cause fixed (the server's own correlator places it), the event is tried again.
    const retry = `/api/v1/dead-letters/${stored[1]?.id}/retry`;
    expect((await s.request('POST', retry, { token: s.tokens.read })).status).toBe(403);
    expect((await s.request('POST', '/api/v1/dead-letters/x/retry', { token: s.tokens.write })).status).toBe(400);
    const again = await s.request('POST', retry, { token: s.tokens.write });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { appendedAs: number }).appendedAs).toBeGreaterThan(stored[2]?.id as number);
    await s.settle();
    const placed = (await db.selectFrom('alerts').select('fingerprint').orderBy('fingerprint').execute()).map((a) => a.fingerprint);
    expect(placed).toEqual(['fp-Errors-3', 'fp-Poison-2', 'fp-Slow-1']);
    expect(((await (await s.request('GET', '/api/v1/dead-letters', { token: s.tokens.read })).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await s.request('POST', retry, { token: s.tokens.write })).status).toBe(404);
  });
});
