/**
 * The forecast horizon through the real app: a disk that fills over years reads "not within a
 * year" on the capacity pages and in the API (no "full in 2250 days"), one that fills in days
 * keeps its number, and `capacity.forecastHorizon` moves the line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, type RollupBucket } from '../../server/src/capacity/rollup.js';
import { upsertRollups } from '../../server/src/db/capacity-repo.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const DAY = 24 * HOUR_MS;
const ORIGIN = 'http://sightline.test';

/** Two weeks of hourly utilisation rising by `perDay` from `start`. */
function filling(host: string, mountpoint: string, start: number, perDay: number): RollupBucket[] {
  return Array.from({ length: 14 * 24 }, (_, h) => {
    const value = start + (perDay * h) / 24;
    return { host, resource: 'filesystem', mountpoint, bucketStart: T0 + h * HOUR_MS, sum: value, count: 1, max: value };
  });
}

async function serverWith(configYaml?: string): Promise<TestServer> {
  const s = await startTestServer('sqlite', {}, configYaml);
  // archive-1: 50 % used, +0.02 % a day: full in about 2500 days. db-1: +2 % a day, full in 11 days.
  const buckets = [...filling('archive-1', '/', 0.5, 0.0002), ...filling('db-1', '/var', 0.5, 0.02)];
  await upsertRollups(s.runtime.handle.db, s.runtime.handle.dialect, '5m', buckets, 'add');
  s.clock.set(T0 + 14 * DAY);
  return s;
}

async function signIn(s: TestServer): Promise<string> {
  const res = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ token: s.tokens.read, next: '/ui/capacity' }).toString(),
  });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

const page = async (s: TestServer, cookie: string, path: string) => {
  const res = await s.runtime.app.request(`${ORIGIN}${path}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return res.text();
};

describe('capacity forecast horizon (default: a year)', () => {
  let s: TestServer;
  let cookie: string;
  beforeAll(async () => {
    s = await serverWith();
    cookie = await signIn(s);
  });
  afterAll(async () => s?.close());

  it('lists the slow disk as "not within a year" and the fast one in days', async () => {
    const html = await page(s, cookie, '/ui/capacity');
    const row = (host: string) => {
      const from = html.indexOf(`data-host="${host}"`);
      return html.slice(from, html.indexOf('</tr>', from));
    };
    expect(row('archive-1')).toContain('not within a year');
    expect(row('archive-1')).not.toMatch(/\d{3,} days/);
    expect(row('db-1')).toMatch(/full in \d+ days/);
  });

  it('says so on the host page', async () => {
    const html = await page(s, cookie, '/ui/capacity/archive-1');
    expect(html).toContain('Soonest full: <strong>not within a year</strong>');
    expect(html).not.toMatch(/full in \d+/);
  });

  it('answers in the API with no day count past the horizon, and says why', async () => {
    const list = (await (await s.request('GET', '/api/v1/capacity', { token: s.tokens.read })).json()) as any;
    expect(list.forecastHorizonDays).toBe(365);
    const archive = list.items.find((h: any) => h.host === 'archive-1');
    expect(archive).toMatchObject({ daysUntilFull: null, fullIn: 'not within a year' });
    expect(archive.resources[0]).toMatchObject({ daysUntilFull: null, fullIn: 'not within a year' });
    // The fit itself still says how slow the trend is.
    expect(archive.resources[0].trends[0].daysUntilFull).toBeGreaterThan(2000);
    const db = list.items.find((h: any) => h.host === 'db-1');
    expect(db.daysUntilFull).toBeGreaterThan(10);
    expect(db.daysUntilFull).toBeLessThan(12);
    expect(db.fullIn).toMatch(/^\d+ days$/);
    const one = (await (await s.request('GET', '/api/v1/capacity/archive-1', { token: s.tokens.read })).json()) as any;
    expect(one).toMatchObject({ forecastHorizonDays: 365, daysUntilFull: null, fullIn: 'not within a year' });
  });
});

describe('capacity.forecastHorizon', () => {
  let s: TestServer;
  afterAll(async () => s?.close());

  it('moves the horizon: with 10 years the slow disk gets its days back', async () => {
    s = await serverWith('capacity:\n  forecastHorizon: 3650d\n');
    const one = (await (await s.request('GET', '/api/v1/capacity/archive-1', { token: s.tokens.read })).json()) as any;
    expect(one.forecastHorizonDays).toBe(3650);
    expect(one.daysUntilFull).toBeGreaterThan(2000);
    expect(one.fullIn).toMatch(/^\d+ days$/);
    const html = await page(s, await signIn(s), '/ui/capacity');
    expect(html).toContain('not within 10 years');
  });
});
