/**
 * "What changed?" through the real server on both databases: the ranked changes on the
 * incident API with their reasons, and the correlator keeping a fault that followed a change
 * on its service apart from a concurrent incident it would otherwise join by topology.
 * Changes are recorded with the repository (the intakes are tested on their own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChange } from '../../server/src/db/changes-repo.js';
import type { NewChange } from '../../server/src/domain/change.js';
import { problemOptionsOf, recognizeKnownErrors } from '../../server/src/services/problems.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const change = (o: Partial<NewChange> & Pick<NewChange, 'service' | 'startedAt'>): NewChange => ({
  summary: `deploy of ${o.service}`,
  kind: 'deploy',
  finishedAt: null,
  version: null,
  author: 'ci',
  links: [],
  labels: {},
  source: 'api',
  receivedAt: o.startedAt,
  ...o,
});

describe.each(dialects())('change analysis on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    for (const [name, body] of [
      ['web', { dependsOn: ['checkout'] }],
      ['checkout', { dependsOn: ['payments'] }],
      ['payments', { dependsOn: ['postgres'] }],
      ['postgres', {}],
      ['search', {}],
    ] as const) {
      expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status, name).toBe(200);
    }
  });
  afterAll(async () => s?.close());

  async function fire(fingerprint: string, service: string, at: number) {
    const alert = makeNativeAlert({ labels: { alertname: `${service}Errors`, service, severity: 'critical' }, annotations: { summary: `${service} failing` }, startsAt: iso(at), fingerprint });
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
  }
  async function incidentOf(fingerprint: string) {
    const row = await s.runtime.handle.db.selectFrom('alerts').select('incident_id').where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
    return (await (await s.request('GET', `/api/v1/incidents/${row.incident_id}`)).json()) as any;
  }

  it('lists the changes before an incident, the likely cause first, with the reasons', async () => {
    const t = T0;
    const db = s.runtime.handle.db;
    const deploy = await insertChange(db, change({ service: 'payments', summary: 'deploy v2.3.1 of payments', version: 'v2.3.1', startedAt: t - 4 * MIN }));
    const config = await insertChange(db, change({ service: 'postgres', kind: 'config', summary: 'raise max_connections', startedAt: t - 50 * MIN }));
    await insertChange(db, change({ service: 'search', startedAt: t - 2 * MIN })); // unrelated in the catalogue
    await insertChange(db, change({ service: 'payments', startedAt: t - 3 * HOUR })); // before the look-back
    s.clock.set(t + 2 * MIN);
    await fire('pay-1', 'payments', t);

    const incident = await incidentOf('pay-1');
    expect(incident.changes).toEqual([
      {
        id: deploy,
        service: 'payments',
        summary: 'deploy v2.3.1 of payments',
        kind: 'deploy',
        version: 'v2.3.1',
        startedAt: iso(t - 4 * MIN),
        score: expect.any(Number),
        reasons: ["started 4 min before the incident's first alert", 'on payments, the root-cause candidate', 'a deploy change', "payments's alerts began 4 min after it"],
        likelyCause: true,
      },
      {
        id: config,
        service: 'postgres',
        summary: 'raise max_connections',
        kind: 'config',
        version: null,
        startedAt: iso(t - 50 * MIN),
        score: expect.any(Number),
        reasons: ["started 50 min before the incident's first alert", 'on postgres, a dependency of payments', 'a config change'],
      },
    ]);
    expect(incident.changes[0].score).toBeGreaterThan(incident.changes[1].score);

    // The incident page shows the same, the likely cause first.
    const origin = 'http://sightline.test';
    const signIn = await s.runtime.app.request(`${origin}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const html = await (await s.runtime.app.request(`${origin}/ui/incidents/${incident.id}`, { headers: { cookie } })).text();
    expect(html).toContain('What changed');
    expect(html).toContain('deploy v2.3.1 of payments 4 min before');
    expect(html.indexOf(`data-change="${deploy}"`)).toBeLessThan(html.indexOf(`data-change="${config}"`));
  });

  it('keeps a fault that followed a change on its service apart from a concurrent incident two hops away', async () => {
    const t = T0 + 6 * HOUR;
    const db = s.runtime.handle.db;
    // postgres fails at t; checkout (two hops up) is deployed at t+1m and fails at t+6m.
    s.clock.set(t + MIN);
    await fire('pg-2', 'postgres', t);
    const deploy = await insertChange(db, change({ service: 'checkout', summary: 'deploy v9 of checkout', version: 'v9', startedAt: t + MIN }));
    s.clock.set(t + 6 * MIN);
    await fire('co-2', 'checkout', t + 6 * MIN);

    const database = await incidentOf('pg-2');
    const checkout = await incidentOf('co-2');
    expect(checkout.id).not.toBe(database.id);
    expect(checkout.changes[0]).toMatchObject({ id: deploy, likelyCause: true });
    expect(checkout.timeline.find((e: any) => e.kind === 'opened')).toBeTruthy();
  });

  it('verifies the fix of a problem: a recurrence after the fix change reopens it, saying the fix did not hold', async () => {
    const DAY = 24 * HOUR;
    let n = 0;
    const disk = async (at: number, open = false) => {
      const alert = makeNativeAlert({
        labels: { alertname: 'DiskFull', service: 'storage', severity: 'critical', instance: `db-${++n}.prod:9100` },
        annotations: { summary: `filesystem /var/lib/pgdata on db-${n}.prod is ${90 + (n % 9)}% full` },
        startsAt: iso(at),
      });
      s.clock.set(Math.max(s.clock.now(), at + HOUR + MIN));
      for (const a of open ? [alert] : [alert, { ...alert, status: 'resolved', endsAt: iso(at + HOUR) }]) {
        expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [a] } })).status).toBe(200);
      }
      await s.settle();
      const list = (await (await s.request('GET', '/api/v1/incidents?service=storage&limit=1', { token: s.tokens.read })).json()) as any;
      return list.items[0].id as number;
    };
    const t = T0 + 30 * DAY;
    for (let i = 0; i < 5; i++) await disk(t - (20 - i * 4) * DAY);
    s.clock.set(t);
    expect((await s.request('POST', '/api/v1/problem-candidates/refresh', { token: s.tokens.write })).status).toBe(200);
    const candidate = ((await (await s.request('GET', '/api/v1/problem-candidates', { token: s.tokens.read })).json()) as any).items.find((c: any) => c.alertname === 'DiskFull');
    const promoted = (await (await s.request('POST', `/api/v1/problem-candidates/${candidate.id}/promote`, { token: s.tokens.write, json: { title: 'Data volume fills up' } })).json()) as any;
    const problemId = promoted.problem.id as number;
    const patch = (json: unknown) => s.request('PATCH', `/api/v1/problems/${problemId}`, { token: s.tokens.write, json });

    // The fix must be a recorded change: a bad id is a 400 naming the field.
    for (const bad of [{ fixChangeId: 987654 }, { fixChangeId: 'v2' }, { fixChangeId: -1 }]) {
      const res = await patch(bad);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('fixChangeId');
    }
    const fix = await insertChange(s.runtime.handle.db, change({ service: 'storage', kind: 'config', summary: 'autovacuum on the audit tables', startedAt: t + HOUR }));
    const fixed = await patch({ fixChangeId: fix, status: 'resolved' });
    expect(fixed.status).toBe(200);
    expect(await fixed.json()).toMatchObject({ status: 'resolved', fixChangeId: fix, fixHeld: true, fixFailedAt: null });

    // It comes back after the fix: the periodic recognition pass finds it and reopens the problem.
    const recurrence = await disk(t + 3 * HOUR, true);
    s.clock.set(t + 3 * HOUR);
    const recognise = () => recognizeKnownErrors({ handle: s.runtime.handle, clock: s.clock, log: s.runtime.log, options: problemOptionsOf(s.runtime.config.problems) });
    expect(await recognise()).toMatchObject({ matched: 1 });
    const problem = (await (await s.request('GET', `/api/v1/problems/${problemId}`, { token: s.tokens.read })).json()) as any;
    expect(problem).toMatchObject({ status: 'open', fixChangeId: fix, fixHeld: false, fixFailedAt: iso(t + 3 * HOUR) });
    const failed = problem.timeline.find((e: any) => e.kind === 'fix_failed');
    expect(failed.message).toBe(`Fix did not hold: incident #${recurrence} recurred 120 min after change #${fix} (autovacuum on the audit tables); reopened`);
    expect(problem.timeline.map((e: any) => e.kind)).toEqual(expect.arrayContaining(['fix', 'fix_failed', 'status']));
    const incident = (await (await s.request('GET', `/api/v1/incidents/${recurrence}`, { token: s.tokens.read })).json()) as any;
    expect(incident.timeline.find((e: any) => e.kind === 'fix_failed')?.message).toContain(`Recurrence of problem #${problemId} "Data volume fills up" after its fix, change #${fix}`);
  });

  it('reports DORA figures per service on the API and /metrics', async () => {
    const t = T0 + 60 * 24 * HOUR;
    const db = s.runtime.handle.db;
    // Four changes of search: the second is followed by an incident 10 min later, resolved 30 min after opening.
    for (const h of [1, 3, 5, 7]) await insertChange(db, change({ service: 'search', startedAt: t + h * HOUR }));
    s.clock.set(t + 3 * HOUR + 11 * MIN);
    await fire('search-1', 'search', t + 3 * HOUR + 10 * MIN);
    const resolved = makeNativeAlert({ labels: { alertname: 'searchErrors', service: 'search', severity: 'critical' }, fingerprint: 'search-1', status: 'resolved', startsAt: iso(t + 3 * HOUR + 10 * MIN), endsAt: iso(t + 3 * HOUR + 40 * MIN) });
    s.clock.set(t + 8 * HOUR);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [resolved] } })).status).toBe(200);
    await s.settle();
    const incident = await incidentOf('search-1');
    expect(incident.status).toBe('resolved');

    const res = await s.request('GET', '/api/v1/services/search', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const restore = (Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt)) / 1000;
    expect(((await res.json()) as any).dora).toEqual({ since: iso(t + 8 * HOUR - 30 * 24 * HOUR), changes: 4, failedChanges: 1, changeFailureRate: 0.25, meanTimeToRestoreSeconds: restore });
    expect((await s.request('GET', '/api/v1/services/nowhere', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/services/bad%20name', { token: s.tokens.read })).status).toBe(400);

    const metrics = await (await s.request('GET', '/metrics', { token: s.tokens.read })).text();
    expect(metrics).toContain('sightline_change_failure_ratio{service="search"} 0.25');
    expect(metrics).toContain(`sightline_change_restore_seconds{service="search"} ${restore}`);
  });
});
