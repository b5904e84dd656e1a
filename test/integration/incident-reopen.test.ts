/**
 * Incident handling that does not hide faults, through the HTTP API on both databases: a
 * resolve while alerts still fire is refused (409 naming them) unless forced, and a forced one
 * is on the timeline; an alert sent again still firing, or firing again, reopens the incident
 * (a closed one is followed by a new incident, linked both ways); a resolved alert sent again
 * as resolved changes nothing; a service new to an acknowledged incident notifies once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('incidents that do not hide faults on %s', (dialect) => {
  let s: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    s = await startTestServer(dialect, {}, `notifications:\n  webhooks:\n    - name: ops\n      url: ${receiver.url}/hook\n`);
    await s.runtime.notifier.drain();
  });
  afterAll(async () => {
    await s?.close();
    await receiver?.close();
  });

  async function send(...alerts: Record<string, unknown>[]) {
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } });
    expect(res.status).toBe(200);
    await s.settle();
  }
  const alert = (alertname: string, service: string, startsAt: number, extra: Record<string, unknown> = {}) =>
    makeNativeAlert({ labels: { alertname, service, severity: 'critical' }, annotations: {}, startsAt: iso(startsAt), ...extra });
  async function incidentsOf(service: string) {
    const res = await s.request('GET', `/api/v1/incidents?service=${service}&status=open,acknowledged,on_hold,resolved,closed`, { token: s.tokens.read });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: any[] }).items;
  }
  async function get(id: number) {
    return (await (await s.request('GET', `/api/v1/incidents/${id}`, { token: s.tokens.read })).json()) as any;
  }
  const act = (id: number, action: string, json?: unknown) => s.request('POST', `/api/v1/incidents/${id}/${action}`, { token: s.tokens.write, json });

  it('refuses a resolve while alerts fire with 409 naming them; a forced one says so on the timeline; the alert sent again reopens it', async () => {
    const t = T0;
    s.clock.set(t);
    await send(alert('OrdersDown', 'orders', t), alert('OrdersSlow', 'orders', t));
    const [incident] = await incidentsOf('orders');
    expect(incident).toMatchObject({ status: 'open', firingCount: 2 });

    s.clock.set(t + 10 * MIN);
    const refused = await act(incident.id, 'resolve');
    expect(refused.status).toBe(409);
    const error = ((await refused.json()) as any).error;
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe(
      `incident ${incident.id} has 2 alert(s) still firing: OrdersDown (orders), OrdersSlow (orders); resolve with {"force": true} to resolve it anyway (it reopens when one of them is sent again still firing)`,
    );
    expect(error.details).toMatchObject({ firingCount: 2, firing: [{ title: 'OrdersDown', service: 'orders' }, { title: 'OrdersSlow', service: 'orders' }] });
    expect((await get(incident.id)).status).toBe('open');

    for (const [body, field] of [
      [{ force: 'yes' }, 'force'],
      [{ forse: true }, ''],
    ] as const) {
      const bad = await act(incident.id, 'resolve', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(((await bad.json()) as any).error.message).toContain(field || 'forse');
    }
    // `force` belongs to resolve only.
    expect((await act(incident.id, 'acknowledge', { force: true })).status).toBe(400);

    const forced = await act(incident.id, 'resolve', { force: true, note: 'restarted the pods' });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedAt: iso(t + 10 * MIN) });
    const resolvedEntry = (await get(incident.id)).timeline.at(-1);
    expect(resolvedEntry).toMatchObject({
      kind: 'resolved',
      actor: 'test-write',
      message: 'Resolved by test-write with 2 alert(s) still firing (OrdersDown (orders), OrdersSlow (orders)): restarted the pods',
      data: { action: 'resolve', forced: true, firingCount: 2 },
    });

    // The sender sends the alert again, still firing (as Alertmanager does on its repeat interval).
    s.clock.set(t + 12 * MIN);
    await send(alert('OrdersDown', 'orders', t));
    const after = await get(incident.id);
    expect(after).toMatchObject({ status: 'open', resolvedAt: null, resolution: null, firingCount: 2 });
    expect(after.timeline.at(-1)).toMatchObject({ kind: 'reopened', actor: 'sightline', message: 'Reopened: OrdersDown is still firing (sent again after the incident was resolved by hand)', data: { reason: 'still_firing' } });
    expect(await incidentsOf('orders')).toHaveLength(1);
  });

  it('reopens on a lease renewal of the same episode after a forced resolve', async () => {
    const t = T0 + 1000 * MIN;
    s.clock.set(t);
    await send(alert('LeaseDown', 'leases', t, { endsAt: iso(t + 5 * MIN) }));
    const [incident] = await incidentsOf('leases');
    s.clock.set(t + 2 * MIN);
    expect((await act(incident.id, 'resolve', { force: true })).status).toBe(200);
    s.clock.set(t + 3 * MIN);
    await send(alert('LeaseDown', 'leases', t, { endsAt: iso(t + 8 * MIN) }));
    expect(await get(incident.id)).toMatchObject({ status: 'open', firingCount: 1 });
    expect(await incidentsOf('leases')).toHaveLength(1);
  });

  it('changes nothing when a resolved alert is sent again as resolved; a new episode within the reopen window reopens', async () => {
    const t = T0 + 2000 * MIN;
    s.clock.set(t);
    await send(alert('QueueDown', 'queue', t));
    await send(alert('QueueDown', 'queue', t, { status: 'resolved', endsAt: iso(t + MIN) }));
    const [incident] = await incidentsOf('queue');
    s.clock.set(t + 2 * MIN);
    // Nothing fires: no confirmation needed.
    expect((await act(incident.id, 'resolve')).status).toBe(200);
    const before = await get(incident.id);

    s.clock.set(t + 3 * MIN);
    await send(alert('QueueDown', 'queue', t, { status: 'resolved', endsAt: iso(t + MIN) }));
    const unchanged = await get(incident.id);
    expect(unchanged).toEqual(before);

    s.clock.set(t + 4 * MIN);
    await send(alert('QueueDown', 'queue', t + 4 * MIN));
    const reopened = await get(incident.id);
    expect(reopened).toMatchObject({ status: 'open', firingCount: 1 });
    expect(reopened.timeline.map((e: any) => e.kind).slice(-2)).toEqual(['reopened', 'alert_joined']);
    expect(reopened.timeline.at(-2).message).toBe('Reopened: QueueDown fired again after the incident was resolved by hand');
    expect(await incidentsOf('queue')).toHaveLength(1);
  });

  it('opens a new incident linked to a closed one when its alert is sent again still firing', async () => {
    const t = T0 + 3000 * MIN;
    s.clock.set(t);
    await send(alert('CacheDown', 'cache', t));
    const [old] = await incidentsOf('cache');
    s.clock.set(t + MIN);
    expect((await act(old.id, 'resolve', { force: true })).status).toBe(200);
    s.clock.set(t + 2 * MIN);
    expect((await act(old.id, 'close')).status).toBe(200);

    s.clock.set(t + 3 * MIN);
    await send(alert('CacheDown', 'cache', t));
    const items = await incidentsOf('cache');
    expect(items.map((i) => [i.id === old.id ? 'old' : 'new', i.status])).toEqual([
      ['new', 'open'],
      ['old', 'closed'],
    ]);
    const fresh = await get(items[0].id);
    expect(fresh.alerts.map((a: any) => a.title)).toEqual(['CacheDown']);
    expect(fresh.openedAt).toBe(iso(t + 3 * MIN));
    expect(fresh.timeline.find((e: any) => e.kind === 'follows')).toMatchObject({ message: `Follows #${old.id} (closed): CacheDown is still firing after #${old.id} was closed`, data: { incident: old.id } });
    const closed = await get(old.id);
    expect(closed).toMatchObject({ status: 'closed', firingCount: 0 });
    expect(closed.timeline.at(-1)).toMatchObject({ kind: 'followed_by', data: { incident: fresh.id } });
  });

  it('notifies once when the fault reaches another service of an acknowledged incident, and says so on the timeline', async () => {
    for (const [name, body] of [
      ['pg', { tier: 1 }],
      ['shop', { tier: 1, dependsOn: ['pg'] }],
    ] as const) {
      expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status, name).toBe(200);
    }
    const t = T0 + 4000 * MIN;
    s.clock.set(t);
    await send(alert('PgConnectionsSaturated', 'pg', t));
    const [incident] = await incidentsOf('pg');
    s.clock.set(t + MIN);
    expect((await act(incident.id, 'acknowledge')).status).toBe(200);
    await s.runtime.notifier.drain();
    receiver.received.length = 0;

    s.clock.set(t + 2 * MIN);
    await send(alert('ShopCheckoutErrors', 'shop', t + 2 * MIN));
    await send(alert('ShopLatency', 'shop', t + 3 * MIN));
    await s.runtime.notifier.drain();
    const detail = await get(incident.id);
    expect(detail.alerts.map((a: any) => a.title).sort()).toEqual(['PgConnectionsSaturated', 'ShopCheckoutErrors', 'ShopLatency']);
    expect(detail.status).toBe('acknowledged');
    const added = receiver.received.filter((r) => r.event === 'incident_service_added');
    expect(added).toHaveLength(1);
    expect(added[0]?.body).toMatchObject({
      event: 'incident_service_added',
      service: 'shop',
      actor: 'sightline',
      message: 'shop now affected: the fault reached it (ShopCheckoutErrors) while the incident is acknowledged',
      incident: { id: incident.id, status: 'acknowledged' },
    });
    expect(detail.timeline.filter((e: any) => e.kind === 'service_reached')).toEqual([
      expect.objectContaining({ message: 'shop now affected: the fault reached it (ShopCheckoutErrors) while the incident is acknowledged', data: { service: 'shop', announced: true } }),
    ]);
    const deliveries = (await (await s.request('GET', `/api/v1/incidents/${incident.id}/notifications`, { token: s.tokens.read })).json()) as any;
    expect(deliveries.items.filter((d: any) => d.event === 'incident_service_added').map((d: any) => d.state)).toEqual(['delivered']);
  });
});
