/**
 * Actions whose body is optional (an incident's acknowledge, resolve, …; a problem candidate's
 * review, dismiss, promote) take an empty body however it is sent: `Content-Length: 0` without
 * a content type answered 415 before, and an empty `application/json` body 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

/** Ways an HTTP client sends "no body" to a POST. */
const EMPTY: [string, { body?: string; headers?: Record<string, string> }][] = [
  ['Content-Length: 0', { headers: { 'content-length': '0' } }],
  ['an empty application/json body', { body: '', headers: { 'content-type': 'application/json' } }],
  ["curl -d '' (an empty form body)", { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' } }],
  ['no body and no headers', {}],
];

describe.each(dialects())('optional request bodies on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    s.clock.set(T0 + 60_000);
  });
  afterAll(async () => s?.close());

  /** An incident of one alert; `ended`: the alert already resolved (a resolve while it fires needs `force`). */
  async function openIncident(service: string, ended = false): Promise<number> {
    const end = ended ? { status: 'resolved', endsAt: new Date(T0 + 60_000).toISOString() } : {};
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'Down', service, severity: 'critical' }, ...end })] } });
    expect(res.status).toBe(200);
    await s.settle();
    const items = ((await (await s.request('GET', `/api/v1/incidents?service=${service}`)).json()) as { items: { id: number }[] }).items;
    expect(items).toHaveLength(1);
    return items[0]!.id;
  }
  const act = (id: number, action: string, empty: (typeof EMPTY)[number][1]) => s.request('POST', `/api/v1/incidents/${id}/${action}`, { token: s.tokens.write, ...empty });

  it.each(EMPTY)('acknowledges an incident sent %s', async (name, empty) => {
    const id = await openIncident(`svc-${name.replace(/\W+/g, '-')}`);
    const res = await act(id, 'acknowledge', empty);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ id, status: 'acknowledged' });
  });

  it('takes every incident action with Content-Length: 0', async () => {
    const a = await openIncident('lifecycle-a', true);
    for (const [action, status] of [['acknowledge', 'acknowledged'], ['hold', 'on_hold'], ['resume', 'acknowledged'], ['resolve', 'resolved'], ['reopen', 'open'], ['cancel', 'cancelled']]) {
      const res = await act(a, action as string, EMPTY[0]![1]);
      expect(res.status, `${action}: ${await res.clone().text()}`).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe(status);
    }
    const b = await openIncident('lifecycle-b', true);
    for (const action of ['resolve', 'close']) expect((await act(b, action, EMPTY[0]![1])).status, action).toBe(200);
  });

  it('takes a problem candidate action with Content-Length: 0 (404: no such candidate, not 415)', async () => {
    for (const action of ['review', 'dismiss', 'promote']) {
      const res = await s.request('POST', `/api/v1/problem-candidates/pc-000000000000/${action}`, { token: s.tokens.write, headers: { 'content-length': '0' } });
      expect(res.status, action).toBe(404);
    }
  });

  it('still reads a body that is there: a note as JSON, anything else 415, broken JSON 400', async () => {
    const id = await openIncident('with-body');
    expect((await act(id, 'acknowledge', { body: 'note=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await act(id, 'acknowledge', { body: '{"note":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const res = await s.request('POST', `/api/v1/incidents/${id}/acknowledge`, { token: s.tokens.write, json: { note: 'looking' } });
    expect(res.status).toBe(200);
    const detail = (await (await s.request('GET', `/api/v1/incidents/${id}`)).json()) as { timeline: { kind: string; note?: string | null }[] };
    expect(JSON.stringify(detail.timeline)).toContain('looking');
  });
});
