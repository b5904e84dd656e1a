import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('incidents on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  async function fire(alerts: Record<string, unknown>[]) {
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } });
    expect(res.status).toBe(200);
    await s.settle();
  }
  async function list(query = '') {
    const res = await s.request('GET', `/api/v1/incidents${query}`, { token: s.tokens.read });
    expect(res.status).toBe(200);
    return (await res.json()) as { items: any[]; nextCursor: string | null };
  }
  async function get(id: number) {
    return (await (await s.request('GET', `/api/v1/incidents/${id}`, { token: s.tokens.read })).json()) as any;
  }
  async function act(id: number, action: string, json?: unknown, token = s.tokens.write) {
    return s.request('POST', `/api/v1/incidents/${id}/${action}`, { token, json });
  }

  it('walks the lifecycle and refuses invalid transitions with 409', async () => {
    s.clock.set(T0);
    await fire([makeNativeAlert({ labels: { alertname: 'Down', service: 'life', severity: 'critical' }, startsAt: iso(T0) })]);
    const [incident] = (await list('?service=life')).items;
    expect(incident.status).toBe('open');

    s.clock.set(T0 + 4 * MIN);
    const ack = await act(incident.id, 'acknowledge');
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedAt: iso(T0 + 4 * MIN) });

    const again = await act(incident.id, 'acknowledge');
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error).toMatchObject({ code: 'CONFLICT', message: 'cannot acknowledge an incident that is acknowledged' });

    expect((await (await act(incident.id, 'hold', { note: 'waiting for vendor' })).json()) as any).toMatchObject({ status: 'on_hold' });
    expect((await (await act(incident.id, 'resume')).json()) as any).toMatchObject({ status: 'acknowledged' });
    s.clock.set(T0 + 30 * MIN);
    expect((await (await act(incident.id, 'resolve', { force: true })).json()) as any).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedAt: iso(T0 + 30 * MIN) });
    expect((await act(incident.id, 'hold')).status).toBe(409);
    expect((await (await act(incident.id, 'close')).json()) as any).toMatchObject({ status: 'closed' });
    expect((await act(incident.id, 'reopen')).status).toBe(409);

    const note = await s.request('POST', `/api/v1/incidents/${incident.id}/notes`, { token: s.tokens.write, json: { text: 'root cause: expired certificate' } });
    expect(note.status).toBe(201);
    const timeline = (await get(incident.id)).timeline;
    expect(timeline.map((t: any) => t.kind)).toEqual(['opened', 'acknowledged', 'on_hold', 'acknowledged', 'resolved', 'closed', 'note']);
    expect(timeline[2]).toMatchObject({ actor: 'test-write', message: 'Put on hold by test-write: waiting for vendor' });
  });

  it('a re-fire inside the hold-down keeps the incident; after it, a new one opens', async () => {
    const t = T0 + 120 * MIN;
    s.clock.set(t);
    const labels = { alertname: 'Flappy', instance: 'flap-1:9100', severity: 'warning' };
    await fire([makeNativeAlert({ labels, startsAt: iso(t) })]);
    await fire([makeNativeAlert({ labels, status: 'resolved', startsAt: iso(t), endsAt: iso(t + MIN) })]);
    s.clock.set(t + 3 * MIN);
    await fire([makeNativeAlert({ labels, startsAt: iso(t + 3 * MIN) })]);
    s.clock.set(t + 30 * MIN);
    await s.settle();
    let items = (await list('?status=open,acknowledged,resolved')).items.filter((i) => i.groupKey === 'alertname=Flappy,host=flap-1');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'open', alertCount: 1, firingCount: 1 });
    expect((await get(items[0].id)).alerts[0].occurrences).toBe(2);

    await fire([makeNativeAlert({ labels, status: 'resolved', startsAt: iso(t + 3 * MIN), endsAt: iso(t + 31 * MIN) })]);
    s.clock.set(t + 37 * MIN);
    await s.settle();
    expect((await get(items[0].id)).status).toBe('resolved');
    await fire([makeNativeAlert({ labels, startsAt: iso(t + 50 * MIN) })]);
    items = (await list()).items.filter((i) => i.groupKey === 'alertname=Flappy,host=flap-1');
    expect(items.map((i) => i.status)).toEqual(['open', 'resolved']);
  });

  it('a late re-fire inside the hold-down reopens an auto-resolved incident', async () => {
    const t = T0 + 300 * MIN;
    s.clock.set(t + 60 * MIN);
    const labels = { alertname: 'Late', instance: 'late-1:9100' };
    await fire([makeNativeAlert({ labels, status: 'resolved', startsAt: iso(t), endsAt: iso(t + MIN) })]);
    const [incident] = (await list()).items.filter((i) => i.groupKey === 'alertname=Late,host=late-1');
    expect(incident.status).toBe('resolved');
    await fire([makeNativeAlert({ labels, status: 'resolved', startsAt: iso(t + 4 * MIN), endsAt: iso(t + 5 * MIN) })]);
    const after = await get(incident.id);
    expect(after.timeline.map((e: any) => e.kind)).toContain('reopened');
    expect(after).toMatchObject({ status: 'resolved', resolvedAt: iso(t + 5 * MIN) });
    expect((await list()).items.filter((i) => i.groupKey === 'alertname=Late,host=late-1')).toHaveLength(1);
  });

  it('filters, pages newest first and validates queries', async () => {
    const t = T0 + 600 * MIN;
    s.clock.set(t);
    await fire(Array.from({ length: 7 }, (_, i) => makeNativeAlert({ labels: { alertname: `Page${i}`, service: `page-${i}`, severity: i % 2 ? 'critical' : 'info' }, startsAt: iso(t) })));
    const first = await list('?limit=3&since=' + encodeURIComponent(iso(t)));
    expect(first.items.map((i) => i.service)).toEqual(['page-6', 'page-5', 'page-4']);
    const second = await list(`?limit=3&since=${encodeURIComponent(iso(t))}&cursor=${first.nextCursor}`);
    expect(second.items.map((i) => i.service)).toEqual(['page-3', 'page-2', 'page-1']);
    const third = await list(`?limit=3&since=${encodeURIComponent(iso(t))}&cursor=${second.nextCursor}`);
    expect(third).toEqual({ items: [expect.objectContaining({ service: 'page-0' })], nextCursor: null });
    expect((await list('?priority=P2&since=' + encodeURIComponent(iso(t)))).items).toHaveLength(3);
    expect((await list('?service=page-3&status=open')).items).toHaveLength(1);

    for (const bad of ['?limit=0', '?limit=501', '?status=sleeping', '?priority=P9', '?since=tomorrow', '?cursor=%%%', '?colour=red']) {
      const res = await s.request('GET', `/api/v1/incidents${bad}`, { token: s.tokens.read });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('VALIDATION');
    }
  });

  it('lets users override priority and assignee, and return to the matrix', async () => {
    const [incident] = (await list('?service=page-0')).items;
    const patched = await s.request('PATCH', `/api/v1/incidents/${incident.id}`, { token: s.tokens.write, json: { priority: 'P1', assignee: 'alice' } });
    expect(await patched.json()).toMatchObject({ priority: 'P1', priorityOverridden: true, assignee: 'alice' });
    const reset = await s.request('PATCH', `/api/v1/incidents/${incident.id}`, { token: s.tokens.write, json: { priority: null } });
    expect(await reset.json()).toMatchObject({ priority: 'P4', priorityOverridden: false });
    expect((await s.request('PATCH', `/api/v1/incidents/${incident.id}`, { token: s.tokens.write, json: { priority: 'P0' } })).status).toBe(400);
    expect((await s.request('PATCH', `/api/v1/incidents/${incident.id}`, { token: s.tokens.write, json: {} })).status).toBe(400);
  });

  it('answers 404 for unknown incidents and 400 for bad ids', async () => {
    expect((await s.request('GET', '/api/v1/incidents/999999', { token: s.tokens.read })).status).toBe(404);
    expect((await act(999999, 'acknowledge')).status).toBe(404);
    expect((await s.request('GET', '/api/v1/incidents/abc', { token: s.tokens.read })).status).toBe(400);
  });

  it('separates read and write scopes', async () => {
    const [incident] = (await list('?service=page-1')).items;
    expect((await act(incident.id, 'acknowledge', undefined, s.tokens.read)).status).toBe(403);
    expect((await s.request('GET', '/api/v1/incidents', { token: s.tokens.ingest })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/incidents', { token: null })).status).toBe(401);
  });

  it('computes MTTA and MTTR overall, per service and per priority', async () => {
    const t = T0 + 2000 * MIN;
    s.clock.set(t);
    await fire([
      makeNativeAlert({ labels: { alertname: 'S1', service: 'stats-a', severity: 'critical' }, startsAt: iso(t) }),
      makeNativeAlert({ labels: { alertname: 'S2', service: 'stats-b', severity: 'critical' }, startsAt: iso(t) }),
    ]);
    const items = (await list('?since=' + encodeURIComponent(iso(t)))).items;
    const a = items.find((i) => i.service === 'stats-a');
    const b = items.find((i) => i.service === 'stats-b');
    s.clock.set(t + 2 * MIN);
    await act(a.id, 'acknowledge');
    s.clock.set(t + 6 * MIN);
    await act(b.id, 'acknowledge');
    s.clock.set(t + 10 * MIN);
    expect((await act(a.id, 'resolve', { force: true })).status).toBe(200);
    const res = await s.request('GET', `/api/v1/stats?since=${encodeURIComponent(iso(t))}`, { token: s.tokens.read });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as any;
    expect(stats.overall).toMatchObject({ incidents: 2, mttaSeconds: 240, mttrSeconds: 600, acknowledged: 2, resolved: 1 });
    expect(stats.byService.find((x: any) => x.service === 'stats-b')).toMatchObject({ mttaSeconds: 360, mttrSeconds: null });
    expect(stats.byPriority).toEqual([expect.objectContaining({ priority: 'P2', incidents: 2 })]);
    expect((await s.request('GET', '/api/v1/stats?since=1h&until=2h', { token: s.tokens.read })).status).toBe(400);
  });

  it('serves health, readiness, JSON 404s and token administration', async () => {
    expect(await (await s.request('GET', '/healthz', { token: null })).json()).toEqual({ status: 'ok' });
    expect(await (await s.request('GET', '/readyz', { token: null })).json()).toEqual({ status: 'ready', database: dialect });
    const missing = await s.request('GET', '/no/such/route', { token: null });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('NOT_FOUND');

    const created = await s.request('POST', '/api/v1/tokens', { json: { name: 'am-prod', scopes: ['ingest'] } });
    expect(created.status).toBe(201);
    const { token, id } = (await created.json()) as any;
    expect(token).toMatch(/^sl_[\w-]{43}$/);
    expect((await s.request('POST', '/api/v1/tokens', { json: { name: 'am-prod', scopes: ['ingest'] } })).status).toBe(409);
    expect((await s.request('GET', '/api/v1/tokens', { token: s.tokens.write })).status).toBe(403);
    const listed = (await (await s.request('GET', '/api/v1/tokens')).json()) as any;
    expect(JSON.stringify(listed)).not.toContain(token);
    expect((await s.request('POST', '/api/v1/alerts', { token, json: { alerts: [makeNativeAlert()] } })).status).toBe(200);
    expect((await s.request('DELETE', `/api/v1/tokens/${id}`)).status).toBe(204);
    expect((await s.request('POST', '/api/v1/alerts', { token, json: { alerts: [makeNativeAlert()] } })).status).toBe(401);
  });

  it('stores tokens only as hashes', async () => {
    const rows = await s.runtime.handle.db.selectFrom('api_tokens').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const token of Object.values(s.tokens)) expect(dump).not.toContain(token);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });
});

describe.each(dialects())('merge and split on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it('merges one incident into another and splits alerts off again', async () => {
    s.clock.set(T0 + 10 * MIN);
    const fired = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: {
        alerts: [
          makeNativeAlert({ labels: { alertname: 'A', service: 'm-one', severity: 'warning' }, annotations: { summary: 'first' }, startsAt: iso(T0), fingerprint: 'a' }),
          makeNativeAlert({ labels: { alertname: 'B', service: 'm-one', severity: 'warning' }, annotations: { summary: 'second' }, startsAt: iso(T0 + MIN), fingerprint: 'b' }),
          makeNativeAlert({ labels: { alertname: 'C', service: 'm-two', severity: 'critical' }, annotations: { summary: 'third' }, startsAt: iso(T0 + 2 * MIN), fingerprint: 'c' }),
        ],
      },
    });
    expect(fired.status).toBe(200);
    await s.settle();
    const list = ((await (await s.request('GET', '/api/v1/incidents?status=open')).json()) as any).items;
    const one = list.find((i: any) => i.service === 'm-one');
    const two = list.find((i: any) => i.service === 'm-two');

    const merged = await s.request('POST', `/api/v1/incidents/${two.id}/merge`, { token: s.tokens.write, json: { into: one.id } });
    expect(merged.status).toBe(200);
    expect(await merged.json()).toMatchObject({ id: one.id, alertCount: 3, firingCount: 3, priority: 'P2', urgency: 'high' });
    const gone = (await (await s.request('GET', `/api/v1/incidents/${two.id}`)).json()) as any;
    expect(gone).toMatchObject({ status: 'cancelled', resolution: `merged into #${one.id}`, alerts: [] });
    expect((await s.request('POST', `/api/v1/incidents/${two.id}/merge`, { token: s.tokens.write, json: { into: one.id } })).status).toBe(409);
    expect((await s.request('POST', `/api/v1/incidents/${one.id}/merge`, { token: s.tokens.write, json: { into: one.id } })).status).toBe(400);

    const detail = (await (await s.request('GET', `/api/v1/incidents/${one.id}`)).json()) as any;
    const c = detail.alerts.find((a: any) => a.fingerprint === 'c');
    const split = await s.request('POST', `/api/v1/incidents/${one.id}/split`, { token: s.tokens.write, json: { alerts: [c.id] } });
    expect(split.status).toBe(201);
    const created = (await split.json()) as any;
    expect(created).toMatchObject({ title: 'C: third', alertCount: 1, firingCount: 1, priority: 'P2', service: 'm-two' });
    expect((await (await s.request('GET', `/api/v1/incidents/${one.id}`)).json()) as any).toMatchObject({ alertCount: 2, firingCount: 2 });
    const kinds = ((await (await s.request('GET', `/api/v1/incidents/${one.id}`)).json()) as any).timeline.map((e: any) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['merged', 'split']));
    const all = detail.alerts.map((a: any) => a.id);
    expect((await s.request('POST', `/api/v1/incidents/${one.id}/split`, { token: s.tokens.write, json: { alerts: all.filter((x: number) => x !== c.id) } })).status).toBe(400);
    expect((await s.request('POST', `/api/v1/incidents/${one.id}/split`, { token: s.tokens.write, json: { alerts: [999999] } })).status).toBe(400);
  });
});
