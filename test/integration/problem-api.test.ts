/**
 * The problem API for evaluators, on each database: incidents read with all their member
 * alerts (rule names in any style, episodes that moved on to a later incident included),
 * candidates listed with their member ids and features and paged member incidents, a refresh
 * over a historical from/to window, and alerts paged with a cursor and with their earlier
 * episodes and incidents. Bad input gets a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProblemIncidents } from '../../server/src/db/problems-repo.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('problem API on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  async function send(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }

  /** One incident of two alerts (the same rules each time), resolved an hour later; returns its id. */
  async function incident(service: string, rules: [string, string][], at: number, serial: number): Promise<number> {
    s.clock.set(at);
    const alerts = rules.map(([alertname, summary]) =>
      makeNativeAlert({ fingerprint: `${service}-${alertname}-${serial}`, labels: { alertname, service, severity: 'critical', instance: `${service}-${serial}:9100` }, annotations: { summary: `${summary} ${serial}` }, startsAt: iso(at) }),
    );
    await send(alerts);
    s.clock.set(at + HOUR);
    await send(alerts.map((a) => ({ ...a, status: 'resolved', endsAt: iso(at + HOUR) })));
    const list = (await (await s.request('GET', `/api/v1/incidents?service=${service}&limit=1`, { token: s.tokens.read })).json()) as { items: { id: number }[] };
    return (list.items[0] as { id: number }).id;
  }

  async function json(method: string, path: string, body?: unknown, token = s.tokens.read) {
    const res = await s.request(method, path, { token, ...(body !== undefined ? { json: body } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('reads every member alert of an incident, and lists alerts with their earlier episodes and incidents, paged', async () => {
    const scan = makeNativeAlert({ fingerprint: 'fw-scan', labels: { alertname: 'ET-SCAN-NMAP', service: 'edge', severity: 'warning', instance: 'fw-1:9100' }, annotations: { summary: 'nmap probe from 10.1.2.3' }, startsAt: iso(T0) });
    const ssh = makeNativeAlert({ fingerprint: 'fw-ssh', labels: { alertname: '5710', service: 'edge', severity: 'warning', instance: 'fw-1:9100' }, annotations: { summary: 'sshd: login with unknown user from 10.1.2.3' }, startsAt: iso(T0 + 60_000) });
    s.clock.set(T0 + 60_000);
    await send([scan, ssh]);
    s.clock.set(T0 + HOUR);
    await send([{ ...scan, status: 'resolved', endsAt: iso(T0 + HOUR) }, { ...ssh, status: 'resolved', endsAt: iso(T0 + HOUR) }]);
    // The scan again three days later: its row now belongs to the new incident.
    const later = T0 + 3 * DAY;
    s.clock.set(later);
    await send([{ ...scan, startsAt: iso(later) }]);

    const read = await loadProblemIncidents(s.runtime.handle.db, T0 - DAY, T0 + 4 * DAY);
    expect(read).toHaveLength(2);
    const [first, second] = read as [any, any];
    expect(first.alertname).toBe('ET-SCAN-NMAP');
    expect(first.alerts.map((a: any) => a.name)).toEqual(['ET-SCAN-NMAP', '5710']);
    expect(first.alerts[1].title).toContain('sshd: login with unknown user');
    expect(second.alerts.map((a: any) => a.name)).toEqual(['ET-SCAN-NMAP']);

    const all = await json('GET', '/api/v1/alerts?episodes=all');
    expect(all.status).toBe(200);
    const scanItem = all.body.items.find((a: any) => a.fingerprint === 'fw-scan');
    expect(scanItem.incidentId).toBe(Number(second.id));
    expect(scanItem.pastEpisodes).toEqual([{ startsAt: iso(T0), endsAt: iso(T0 + HOUR), resolved: true, incidentId: Number(first.id) }]);
    expect((await json('GET', '/api/v1/alerts')).body.items[0].pastEpisodes).toBeUndefined();

    // Paged one by one with the cursor: every alert once, newest first, then no next page.
    const seen: number[] = [];
    let path: string | null = '/api/v1/alerts?limit=1&episodes=all';
    while (path) {
      const page = await json('GET', path);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.items.map((a: any) => a.id));
      path = page.body.next;
      if (path) expect(path).toContain(`cursor=${page.body.nextCursor}`);
    }
    expect(seen).toHaveLength(2);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);

    for (const [query, field] of [
      ['cursor=abc', 'cursor'],
      ['episodes=some', 'episodes'],
      ['limit=1001', 'limit'],
    ] as const) {
      const bad = await json('GET', `/api/v1/alerts?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.message).toContain(field);
    }
  });

  it('clusters a historical window on demand, and lists candidates with member ids, features and paged incidents', async () => {
    const start = T0 + 10 * DAY;
    const disk: number[] = [];
    for (let i = 0; i < 5; i++)
      disk.push(
        await incident(
          'storage',
          [
            ['NodeFilesystemAlmostFull', 'filesystem /var/lib/pg is 95% full on'],
            ['hids.syscheck.disk_write', 'write errors on /dev/sda'],
          ],
          start + i * 2 * DAY,
          i,
        ),
      );
    const end = start + 10 * DAY;
    // Long after: the configured lookback no longer reaches those incidents.
    s.clock.set(end + 400 * DAY);
    expect((await json('POST', '/api/v1/problem-candidates/refresh', undefined, s.tokens.write)).body.incidents).toBe(0);

    const refreshed = await json('POST', '/api/v1/problem-candidates/refresh', { from: iso(start - HOUR), to: iso(end) }, s.tokens.write);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ from: iso(start - HOUR), to: iso(end), incidents: 5, candidates: 1 });

    const list = await json('GET', '/api/v1/problem-candidates');
    const candidate = list.body.items[0];
    expect(candidate.memberIds).toEqual(disk);
    expect(candidate.membersNext).toBeNull();
    const terms = candidate.features.map((f: any) => f.term);
    expect(terms).toContain('alertname=nodefilesystemalmostfull');
    expect(terms.some((t: string) => t.startsWith('alert=hids.syscheck.disk_write|'))).toBe(true);
    for (const f of candidate.features) expect(f.weight).toBeGreaterThan(0);

    const paged: number[] = [];
    let path: string | null = `/api/v1/problem-candidates/${candidate.id}/incidents?limit=2`;
    while (path) {
      const page = await json('GET', path);
      expect(page.status).toBe(200);
      expect(page.body.candidateId).toBe(candidate.id);
      paged.push(...page.body.items.map((i: any) => i.id));
      path = page.body.next;
    }
    expect(paged).toEqual(disk);

    for (const [body, field] of [
      [{ from: 'last tuesday' }, 'from'],
      [{ from: iso(end), to: iso(start) }, 'from'],
      [{ to: '2026-13-01T00:00:00Z' }, 'to'],
      [{ since: iso(start) }, 'since'],
    ] as const) {
      const bad = await json('POST', '/api/v1/problem-candidates/refresh', body, s.tokens.write);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.message).toContain(field);
    }
    const badCursor = await json('GET', `/api/v1/problem-candidates/${candidate.id}/incidents?cursor=-1`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.message).toContain('cursor');
    expect((await json('GET', '/api/v1/problem-candidates/pc-000000000000/incidents')).status).toBe(404);
  });
});
