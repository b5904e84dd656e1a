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

  it('rejects a family name that could not be a fingerprint prefix', async () => {
    await expect(reconcileInternalAlerts(deps(), 'Capacity %', [])).rejects.toThrow(/invalid internal alert family/);
  });
});
