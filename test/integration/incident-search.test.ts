/**
 * The incident list's text search (`q`: title, services, hosts, alert titles and labels,
 * `name=value` for one label) and time range (`since`/`until` on the opening time), paged
 * like the rest of the list, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('incident search on %s', (dialect) => {
  let s: TestServer;
  const ids: Record<string, number> = {};

  async function list(query: string) {
    const res = await s.request('GET', `/api/v1/incidents${query}`, { token: s.tokens.read });
    expect(res.status, query).toBe(200);
    return (await res.json()) as { items: { id: number; title: string }[]; nextCursor: string | null };
  }
  const sorted = (...xs: (number | undefined)[]) => xs.map(Number).sort((a, b) => a - b);
  const found = async (query: string) => (await list(query)).items.map((i) => i.id).sort((a, b) => a - b);

  beforeAll(async () => {
    s = await startTestServer(dialect);
    // Hours apart, on different services and hosts: four incidents.
    const alerts = [
      { key: 'disk', labels: { alertname: 'DiskAlmostFull', service: 'payments', instance: 'db-1:9100', team: 'storage', severity: 'critical' } },
      { key: 'latency', labels: { alertname: 'HighLatency', service: 'checkout', instance: 'web-1:9100', team: 'web', severity: 'warning' } },
      { key: 'cert', labels: { alertname: 'CertExpiring', service: 'edge', instance: 'lb-1:9100', team: 'web_ops', severity: 'warning' } },
      { key: 'percent', labels: { alertname: 'Errors100%', service: 'search', instance: 'es-1:9100', team: 'Search', severity: 'warning' } },
    ];
    for (const [n, a] of alerts.entries()) {
      s.clock.set(T0 + n * 6 * HOUR);
      const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: a.labels, startsAt: iso(T0 + n * 6 * HOUR) })] } });
      expect(res.status).toBe(200);
      await s.settle();
    }
    for (const item of (await list('?status=open,acknowledged,resolved&limit=50')).items) {
      const key = alerts.find((a) => item.title.includes(a.labels.alertname))?.key;
      if (key) ids[key] = item.id;
    }
    expect(Object.keys(ids).sort()).toEqual(['cert', 'disk', 'latency', 'percent']);
  });
  afterAll(async () => s?.close());

  it('finds incidents by title, service, host and label, case-insensitively', async () => {
    expect(await found('?q=diskalmost')).toEqual([ids.disk]);
    expect(await found('?q=CHECKOUT')).toEqual([ids.latency]);
    expect(await found('?q=lb-1')).toEqual([ids.cert]);
    // A label value that appears nowhere but in the alert's labels.
    expect(await found('?q=storage')).toEqual([ids.disk]);
    // name=value matches that label exactly: team=web is not team=web_ops.
    expect(await found('?q=team%3Dweb')).toEqual([ids.latency]);
    expect(await found('?q=team%3Dsearch')).toEqual([ids.percent]);
    // Every word must match.
    expect(await found('?q=' + encodeURIComponent('warning web'))).toEqual(sorted(ids.latency, ids.cert));
    expect(await found('?q=' + encodeURIComponent('warning team=web'))).toEqual([ids.latency]);
    expect(await found('?q=nothing-like-this')).toEqual([]);
  });

  it('treats LIKE wildcards in the search text as plain characters', async () => {
    expect(await found('?q=' + encodeURIComponent('100%'))).toEqual([ids.percent]);
    expect(await found('?q=' + encodeURIComponent('%'))).toEqual([ids.percent]);
    // `_` only in web_ops: not "any one character".
    expect(await found('?q=' + encodeURIComponent('web_'))).toEqual([ids.cert]);
  });

  it('filters by opening time with since and until (half-open), together with the search', async () => {
    expect(await found(`?since=${encodeURIComponent(iso(T0 + 6 * HOUR))}&until=${encodeURIComponent(iso(T0 + 18 * HOUR))}`)).toEqual(sorted(ids.latency, ids.cert));
    expect(await found(`?until=${encodeURIComponent(iso(T0 + 6 * HOUR))}`)).toEqual([ids.disk]);
    expect(await found(`?q=warning&since=${encodeURIComponent(iso(T0 + 12 * HOUR))}`)).toEqual(sorted(ids.cert, ids.percent));
  });

  it('pages a search result with the cursor', async () => {
    const first = await list('?q=warning&limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`?q=warning&limit=2&cursor=${first.nextCursor}`);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((i) => i.id).sort((a, b) => a - b)).toEqual(sorted(ids.latency, ids.cert, ids.percent));
  });

  it('answers 400 naming the parameter for a bad search or range', async () => {
    const cases: [string, RegExp][] = [
      ['?q=' + 'x'.repeat(201), /^invalid query: q: /],
      ['?q=' + encodeURIComponent('a b c d e f g h i j k'), /^invalid query: q: at most 10 words/],
      ['?until=yesterday-ish', /^invalid query: until: /],
      [`?since=${encodeURIComponent(iso(T0 + HOUR))}&until=${encodeURIComponent(iso(T0))}`, /^invalid query: until: must be after since/],
    ];
    for (const [query, message] of cases) {
      const res = await s.request('GET', `/api/v1/incidents${query}`, { token: s.tokens.read });
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message).toMatch(message);
    }
  });
});
