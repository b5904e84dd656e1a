/**
 * Sightline's own alerts go through the event log and the correlator like any sender's:
 * reconciling a family raises new ones once, leaves steady ones alone and resolves the
 * ones no longer wanted, even before the correlator has applied earlier events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileInternalAlerts, type DesiredAlert } from '../../server/src/services/internal-alerts.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const full = (host: string): DesiredAlert => ({
  key: `${host}:/`,
  labels: { alertname: 'SightlineFilesystemFullSoon', host, severity: 'warning', mountpoint: '/' },
  annotations: { summary: `/ on ${host} is forecast to be full within 7 days` },
});

describe.each(dialects())('internal alerts on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.close();
  });

  const deps = () => ({ handle: s.runtime.handle, clock: s.clock, correlator: s.runtime.correlator });

  it('raises each wanted alert once, even when asked again before correlation', async () => {
    s.clock.set(T0);
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-1'), full('db-2')])).toEqual({ raised: 2, resolved: 0 });
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-1'), full('db-2')])).toEqual({ raised: 0, resolved: 0 });
    await s.settle();
    const res = await s.request('GET', '/api/v1/alerts?status=firing', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { source: string; fingerprint: string; incidentId: number | null }[] };
    const ours = body.items.filter((a) => a.source === 'sightline');
    expect(ours.map((a) => a.fingerprint).sort()).toEqual(['capacity:db-1:/', 'capacity:db-2:/']);
    expect(ours.every((a) => a.incidentId !== null)).toBe(true);
  });

  it('resolves the alerts no longer wanted and leaves other families alone', async () => {
    await reconcileInternalAlerts(deps(), 'sla-burn', [{ key: 'payments:fast', labels: { alertname: 'SightlineErrorBudgetBurn', service: 'payments', severity: 'critical' }, annotations: {} }]);
    s.clock.set(T0 + 60_000);
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-2')])).toEqual({ raised: 0, resolved: 1 });
    await s.settle();
    const res = await s.request('GET', '/api/v1/alerts?status=firing', { token: s.tokens.read });
    const body = (await res.json()) as { items: { source: string; fingerprint: string }[] };
    expect(body.items.filter((a) => a.source === 'sightline').map((a) => a.fingerprint).sort()).toEqual(['capacity:db-2:/', 'sla-burn:payments:fast']);
  });

  it('re-raises an alert whose labels changed under its fingerprint: one incident, its priority escalated', async () => {
    s.clock.set(T0 + 86_400_000);
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-2'), full('db-9')])).toEqual({ raised: 1, resolved: 0 });
    await s.settle();
    const incidentsOn = async (host: string) => {
      const body = (await (await s.request('GET', '/api/v1/incidents?limit=100', { token: s.tokens.read })).json()) as { items: { id: number; host: string | null; status: string; priority: string }[] };
      return body.items.filter((i) => i.host === host);
    };
    const [warning] = await incidentsOn('db-9');
    expect(warning).toMatchObject({ status: 'open' });

    // Two days on, far past the join window and the maximum incident span, it turns critical.
    s.clock.set(T0 + 3 * 86_400_000);
    const critical = { ...full('db-9'), labels: { ...full('db-9').labels, severity: 'critical' }, annotations: { summary: '/ on db-9 is forecast to be full within 1 day' } };
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-2'), critical])).toEqual({ raised: 1, resolved: 0 });
    // Annotations alone changing re-raise nothing.
    expect(await reconcileInternalAlerts(deps(), 'capacity', [full('db-2'), { ...critical, annotations: { summary: 'full within 20 hours' } }])).toEqual({ raised: 0, resolved: 0 });
    await s.settle();
    const after = await incidentsOn('db-9');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: warning!.id, status: 'open' });
    expect(Number(after[0]!.priority.slice(1))).toBeLessThan(Number(warning!.priority.slice(1)));

    const detail = (await (await s.request('GET', `/api/v1/incidents/${warning!.id}`, { token: s.tokens.read })).json()) as {
      alerts: { fingerprint: string; status: string; labels: Record<string, string> }[];
      timeline: { kind: string; message: string }[];
    };
    expect(detail.alerts.map((a) => [a.fingerprint, a.status, a.labels.severity])).toEqual([['capacity:db-9:/', 'firing', 'critical']]);
    expect(detail.timeline.some((t) => t.kind === 'updated' && /^Priority P\d → P\d/.test(t.message))).toBe(true);
  });

  it('rejects a family name that could not be a fingerprint prefix', async () => {
    await expect(reconcileInternalAlerts(deps(), 'Capacity %', [])).rejects.toThrow(/invalid internal alert family/);
  });
});
