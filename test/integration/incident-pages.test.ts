/**
 * A storm incident holds thousands of alerts and timeline entries: the incident API and the
 * incident page answer one page of each with totals and cursors, on both databases, and the
 * pages add up to every alert and entry exactly once, in order.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsOfIncidentPage } from '../../server/src/db/alerts-repo.js';
import { timelinePageOf } from '../../server/src/db/incidents-repo.js';
import type { Database as Schema } from '../../server/src/db/schema.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';
const ALERTS = 1_234;
const iso = (ms: number) => new Date(ms).toISOString();

interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

describe.each(dialects())('incident pages on %s', (dialect) => {
  let s: TestServer;
  let id: number;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    s.clock.set(T0 + 60_000);
    // Alerts on many hosts of one service, a few sharing a start time (the cursor must break ties by id).
    const alerts = Array.from({ length: ALERTS }, (_, n) =>
      makeNativeAlert({ labels: { alertname: 'HighLatency', service: 'storm', instance: `h-${n}:9100` }, startsAt: iso(T0 + Math.floor(n / 3) * 10) }),
    );
    for (let i = 0; i < alerts.length; i += 500) {
      const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: alerts.slice(i, i + 500) } });
      expect(res.status).toBe(200);
    }
    await s.settle();
    const list = (await (await s.request('GET', '/api/v1/incidents?service=storm', { token: s.tokens.read })).json()) as { items: { id: number; alertCount: number }[] };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]?.alertCount).toBe(ALERTS);
    id = list.items[0]?.id as number;
  });
  afterAll(async () => s?.close());

  const getJson = async <T>(path: string): Promise<T> => {
    const res = await s.request('GET', path, { token: s.tokens.read });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  it('answers the first page of alerts and timeline with totals and cursors', async () => {
    const detail = await getJson<{ alerts: unknown[]; alertsTotal: number; alertsNextCursor: string | null; timeline: unknown[]; timelineTotal: number; timelineNextCursor: string | null }>(`/api/v1/incidents/${id}`);
    expect(detail.alerts).toHaveLength(500);
    expect(detail.alertsTotal).toBe(ALERTS);
    expect(detail.alertsNextCursor).toEqual(expect.any(String));
    expect(detail.timeline).toHaveLength(1000);
    expect(detail.timelineTotal).toBeGreaterThanOrEqual(ALERTS);
    expect(detail.timelineNextCursor).toEqual(expect.any(String));
  });

  it('pages through every alert once, in start order', async () => {
    const seen: { id: number; startsAt: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<{ id: number; startsAt: string }> = await getJson(`/api/v1/incidents/${id}/alerts?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.total).toBe(ALERTS);
      seen.push(...page.items.map((a) => ({ id: a.id, startsAt: Date.parse(a.startsAt) })));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(Math.ceil(ALERTS / 100));
    expect(seen).toHaveLength(ALERTS);
    expect(new Set(seen.map((a) => a.id)).size).toBe(ALERTS);
    // (startsAt, id) order: three alerts share each start time, so a page edge falls inside a tie.
    expect(seen).toEqual([...seen].sort((a, b) => a.startsAt - b.startsAt || a.id - b.id));
  });

  it('pages through the timeline both ways, each entry once', async () => {
    const collect = async (order: 'oldest' | 'newest') => {
      const out: { id: number; at: string }[] = [];
      // 300 per page: page edges fall inside runs of entries with the same time.
      let cursor: string | null = null;
      do {
        const page: Page<{ id: number; at: string }> = await getJson(`/api/v1/incidents/${id}/timeline?limit=300&order=${order}${cursor ? `&cursor=${cursor}` : ''}`);
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return out;
    };
    const oldest = await collect('oldest');
    const newest = await collect('newest');
    expect(new Set(oldest.map((t) => t.id)).size).toBe(oldest.length);
    expect(newest.map((t) => t.id)).toEqual([...oldest].reverse().map((t) => t.id));
    const keys = oldest.map((t) => ({ at: Date.parse(t.at), id: t.id }));
    expect(keys).toEqual([...keys].sort((a, b) => a.at - b.at || a.id - b.id));
    const total = (await getJson<Page<unknown>>(`/api/v1/incidents/${id}/timeline?limit=1`)).total;
    expect(oldest).toHaveLength(total);
  });

  it('refuses a bad cursor, limit or order with 400, and an unknown incident with 404', async () => {
    for (const path of [`/api/v1/incidents/${id}/alerts?cursor=bm90IGEgY3Vyc29y`, `/api/v1/incidents/${id}/alerts?limit=0`, `/api/v1/incidents/${id}/timeline?order=sideways`, `/api/v1/incidents/${id}/timeline?limit=10001`]) {
      const res = await s.request('GET', path, { token: s.tokens.read });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    }
    expect((await s.request('GET', '/api/v1/incidents/999999/alerts', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/incidents/999999/timeline', { token: s.tokens.read })).status).toBe(404);
  });

  it('shows one page of alerts and timeline on the incident page, with links on, and why each shown alert joined', async () => {
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: s.tokens.read, next: '/ui/incidents' }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const get = async (path: string) => {
      const res = await s.runtime.app.request(`${ORIGIN}${path.replaceAll('&amp;', '&')}`, { headers: { cookie } });
      return { status: res.status, html: await res.text() };
    };
    /** The hosts of the alert rows, in order (each alert is on its own host). */
    const alertHosts = (html: string) => [...(html.split('<h2 id="alerts">')[1]?.split('</table>')[0] ?? '').matchAll(/storm \/ (h-\d+)/g)].map((m) => m[1]);
    const timelineIds = (html: string) => [...(html.split('<h2 id="timeline">')[1]?.split('</ol>')[0] ?? '').matchAll(/<li>/g)].length;
    const link = (html: string, list: string) => /href="([^"]*)">(?:Next alerts|Older entries) →/.exec(html.split(`<h2 id="${list}">`)[1] ?? '')?.[1];

    const first = await get(`/ui/incidents/${id}`);
    expect(first.status).toBe(200);
    expect(first.html).toContain(`Alerts (${ALERTS})`);
    expect(first.html).toContain(`Showing 200 of ${ALERTS.toLocaleString('en')} alerts.`);
    const firstHosts = alertHosts(first.html);
    expect(firstHosts).toHaveLength(200);
    expect(timelineIds(first.html)).toBe(200);
    // Every shown alert found its join reason, though most join entries are on later timeline pages.
    expect(first.html).not.toContain('moved here by a merge or split');

    const nextAlerts = link(first.html, 'alerts');
    expect(nextAlerts).toMatch(/\?alerts=/);
    const second = await get(nextAlerts as string);
    const secondHosts = alertHosts(second.html);
    expect(secondHosts).toHaveLength(200);
    expect(secondHosts.filter((h) => firstHosts.includes(h))).toEqual([]);
    expect(second.html).toContain('← First alerts');
    expect(second.html).not.toContain('moved here by a merge or split');

    // Paging the timeline keeps the alerts page where it was.
    const olderEntries = link(second.html, 'timeline');
    expect(olderEntries).toMatch(/alerts=.*timeline=/);
    const third = await get(olderEntries as string);
    expect(alertHosts(third.html)).toEqual(secondHosts);
    expect(timelineIds(third.html)).toBe(200);
    expect(third.html).toContain('← Newest entries');
    const newestText = first.html.split('<h2 id="timeline">')[1]?.split('</ol>')[0];
    const olderText = third.html.split('<h2 id="timeline">')[1]?.split('</ol>')[0];
    expect(olderText).not.toEqual(newestText);

    expect((await get(`/ui/incidents/${id}?alerts=garbage`)).status).toBe(400);
    expect((await get(`/ui/incidents/${id}?timeline=garbage`)).status).toBe(400);
  });
});

describe('incident pages: query plans (sqlite)', () => {
  it('seeks each page in the (incident, time, id) indexes of migration 019 and sorts nothing', async () => {
    const s = await startTestServer('sqlite');
    // A second connection to the same file that records the SQL the page queries send.
    const raw = new Database(s.runtime.handle.location, { readonly: true });
    const sent: { sql: string; parameters: readonly unknown[] }[] = [];
    const spy = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void sent.push({ sql: e.query.sql, parameters: e.query.parameters }) });
    try {
      await alertsOfIncidentPage(spy, 1, { after: { at: T0, id: 5 }, limit: 10 });
      await timelinePageOf(spy, 1, { after: { at: T0, id: 5 }, limit: 10 });
      await timelinePageOf(spy, 1, { after: { at: T0, id: 5 }, limit: 10, newestFirst: true });
      const plans = sent.map(({ sql, parameters }) => (raw.prepare(`explain query plan ${sql}`).all(...parameters) as { detail: string }[]).map((r) => r.detail).join(' | '));
      expect(plans).toHaveLength(3);
      // SQLite seeks on the first element of the row value and checks the rest on the index entries.
      expect(plans[0]).toContain('USING INDEX alerts_incident_start (incident_id=? AND starts_at>?)');
      expect(plans[1]).toContain('USING INDEX incident_timeline_incident_at (incident_id=? AND at>?)');
      expect(plans[2]).toContain('USING INDEX incident_timeline_incident_at (incident_id=? AND at<?)');
      for (const plan of plans) expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      await spy.destroy();
      await s.close();
    }
  });
});
