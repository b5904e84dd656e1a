/**
 * During a storm the correlator can fall behind ingest (on PostgreSQL by minutes): the incident
 * list then says how many received alerts are not in incidents yet, so nobody takes it for the
 * whole picture. Brief lags (the last few requests) are not worth a notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAlertEvents } from '../../server/src/db/alert-events-repo.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';

const event = (n: number): AlertEvent =>
  makeAlertEvent({
    fingerprint: `lag${String(n).padStart(13, '0')}`,
    labels: { alertname: 'DiskFull', service: 'lagging', instance: `h-${n}:9100` },
    annotations: { summary: `disk full on h-${n}` },
    endsAt: T0 + 3_600_000,
  });

describe.each(dialects())('correlation lag on the incident list on %s', (dialect) => {
  let s: TestServer;
  let cookie: string;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: s.tokens.read, next: '/ui/incidents' }).toString(),
    });
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(async () => s?.close());

  const live = async () => {
    const res = await s.runtime.app.request(`${ORIGIN}/ui/incidents/live`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('says how many alerts wait once the oldest has waited 10 s, and nothing once they are applied', async () => {
    s.clock.set(T0);
    // Stored as ingest stores them, but with no correlator pass asked for: they wait.
    await appendAlertEvents(s.runtime.handle.db, [event(1), event(2), event(3)], T0);
    s.clock.set(T0 + 9_000);
    expect(await live()).not.toContain('Correlation is catching up');
    s.clock.set(T0 + 60_000);
    const behind = await live();
    expect(behind).toContain('Correlation is catching up: 3 received alerts are not in incidents yet (the oldest arrived');
    expect(behind).toContain('data-lag="3"');
    // The full page carries the same notice (it embeds the live part).
    const full = await (await s.runtime.app.request(`${ORIGIN}/ui/incidents`, { headers: { cookie } })).text();
    expect(full).toContain('Correlation is catching up: 3 received alerts');

    await s.settle();
    const caughtUp = await live();
    expect(caughtUp).not.toContain('Correlation is catching up');
    expect(caughtUp).toContain('lagging');
  });
});
