/**
 * What problem clustering reads of each incident: a recurring alert's older incidents keep
 * their alert name although the alert's row now belongs to its newest episode, and
 * Sightline's own warnings about incident handling are not clustered as faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProblemIncidents } from '../../server/src/db/problems-repo.js';
import { reconcileInternalAlerts } from '../../server/src/services/internal-alerts.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('incidents as problem clustering reads them on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.close();
  });

  async function send(alert: Record<string, unknown>) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
  }

  it('names every episode of a recurring alert, and leaves out warnings about incident handling', async () => {
    const labels = { alertname: 'ClockSkew', host: 'web-3', severity: 'warning' };
    const annotations = { summary: 'clock on web-3 is 2.5s off NTP' };
    for (const day of [0, 3, 6]) {
      const start = T0 + day * DAY;
      s.clock.set(start);
      await send(makeNativeAlert({ fingerprint: 'clock-web-3', labels, annotations, startsAt: iso(start) }));
      s.clock.set(start + HOUR);
      await send(makeNativeAlert({ fingerprint: 'clock-web-3', labels, annotations, status: 'resolved', startsAt: iso(start), endsAt: iso(start + HOUR) }));
    }
    s.clock.set(T0 + 7 * DAY);
    await reconcileInternalAlerts({ handle: s.runtime.handle, clock: s.clock, correlator: s.runtime.correlator }, 'sla-target', [
      { key: '1:response', labels: { alertname: 'SlaTargetAtRisk', severity: 'warning', incident: '1' }, annotations: { summary: 'Response target of incident #1 75 % used' } },
    ]);
    await s.settle();

    const all = await s.runtime.handle.db.selectFrom('incidents').select(['id', 'title']).execute();
    expect(all.some((i) => i.title.startsWith('SlaTargetAtRisk'))).toBe(true);
    const read = await loadProblemIncidents(s.runtime.handle.db, T0 - DAY, T0 + 8 * DAY);
    expect(read.map((i) => i.alertname)).toEqual(['ClockSkew', 'ClockSkew', 'ClockSkew']);
    expect(read.map((i) => i.summary)).toEqual([annotations.summary, annotations.summary, annotations.summary]);
  });
});
