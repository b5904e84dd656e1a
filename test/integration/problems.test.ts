/**
 * Problem management end to end on each database: incidents made by the real ingest API and
 * correlator, candidate refresh, stable ids across refreshes, the review flow, promotion to a
 * problem, a known error with its workaround, and its recognition on a new incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';
import { startBackgroundJobs } from '../../server/src/main.js';
import { problemOptionsOf, recognizeKnownErrors } from '../../server/src/services/problems.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Fault {
  alertname: string;
  service: string;
  summary: (n: number) => string;
}

const DISK: Fault = { alertname: 'DiskFull', service: 'storage', summary: (n) => `filesystem /var/lib/pgdata on db-${n}.prod is ${90 + (n % 9)}% full` };
const CERT: Fault = { alertname: 'CertificateExpiring', service: 'auth', summary: (n) => `TLS certificate for auth-${n}.example.com expires in ${n + 2} days` };

describe.each(dialects())('problem management on %s', (dialect) => {
  let s: TestServer;
  let serial = 0;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  /** One incident of `fault` that started at `at`; resolved an hour later unless `open`. */
  async function incident(fault: Fault, at: number, open = false): Promise<number> {
    const n = ++serial;
    const alert = makeNativeAlert({
      labels: { alertname: fault.alertname, service: fault.service, severity: 'critical', instance: `host-${n}.prod:9100` },
      annotations: { summary: fault.summary(n) },
      startsAt: iso(at),
    });
    const alerts = open ? [alert] : [alert, { ...alert, status: 'resolved', endsAt: iso(at + HOUR) }];
    for (const a of alerts) expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [a] } })).status).toBe(200);
    await s.settle();
    const list = (await (await s.request('GET', `/api/v1/incidents?service=${fault.service}&limit=1`, { token: s.tokens.read })).json()) as { items: { id: number }[] };
    return (list.items[0] as { id: number }).id;
  }

  async function refresh() {
    const res = await s.request('POST', '/api/v1/problem-candidates/refresh', { token: s.tokens.write });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  }
  async function candidates(query = '') {
    const res = await s.request('GET', `/api/v1/problem-candidates${query}`, { token: s.tokens.read });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: any[] }).items;
  }
  const byAlertname = async (name: string) => (await candidates()).find((c) => c.alertname === name);

  it('clusters recurring incidents into candidates with stable ids, and takes them through review to a known error', async () => {
    const diskIds: number[] = [];
    for (let i = 0; i < 6; i++) diskIds.push(await incident(DISK, T0 - (40 - i * 6) * 24 * HOUR));
    for (let i = 0; i < 4; i++) await incident(CERT, T0 - (30 - i * 5) * 24 * HOUR + 7 * HOUR);
    s.clock.set(T0);
    await s.settle();

    const first = await refresh();
    expect(first).toMatchObject({ incidents: 10, created: 2, reopened: 0 });
    const disk = await byAlertname('DiskFull');
    const cert = await byAlertname('CertificateExpiring');
    expect(disk).toMatchObject({ state: 'new', count: 6, services: ['storage'], active: true });
    expect(disk.id).toMatch(/^pc-[0-9a-f]{12}$/);
    expect(disk.name).toContain('DiskFull');
    expect(disk.exampleTitle).not.toMatch(/\d/);
    expect(cert).toMatchObject({ state: 'new', count: 4 });

    const detail = (await (await s.request('GET', `/api/v1/problem-candidates/${disk.id}`, { token: s.tokens.read })).json()) as any;
    expect([...detail.memberIds].sort((a: number, b: number) => a - b)).toEqual(diskIds);
    expect(detail.incidents).toHaveLength(6);

    // Same data: same candidates, same ids. One more disk incident: it joins the same id.
    const again = await refresh();
    expect(again).toMatchObject({ created: 0, candidates: first.candidates, modelVersion: first.modelVersion, refitted: false });
    expect((await candidates()).map((c) => c.id).sort()).toEqual([disk.id, cert.id].sort());
    s.clock.set(T0 + HOUR);
    await incident(DISK, T0 - 2 * 24 * HOUR);
    await refresh();
    expect(await byAlertname('DiskFull')).toMatchObject({ id: disk.id, count: 7, state: 'new' });

    // Review: new → under review; again is a conflict.
    const reviewed = await s.request('POST', `/api/v1/problem-candidates/${disk.id}/review`, { token: s.tokens.write });
    expect(reviewed.status).toBe(200);
    expect(((await reviewed.json()) as any).state).toBe('under_review');
    const twice = await s.request('POST', `/api/v1/problem-candidates/${disk.id}/review`, { token: s.tokens.write });
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as any).error.code).toBe('CONFLICT');
    expect((await candidates('?state=under_review')).map((c) => c.id)).toEqual([disk.id]);

    // Dismissed stays dismissed through refreshes, and comes back when new members arrive.
    expect((await s.request('POST', `/api/v1/problem-candidates/${cert.id}/dismiss`, { token: s.tokens.write, json: { note: 'expected rotation' } })).status).toBe(200);
    await refresh();
    expect(await byAlertname('CertificateExpiring')).toMatchObject({ id: cert.id, state: 'dismissed', stateNote: 'expected rotation', stateChangedBy: 'test-write' });
    await incident(CERT, T0 - 24 * HOUR);
    const back = await refresh();
    expect(back.reopened).toBe(1);
    expect(await byAlertname('CertificateExpiring')).toMatchObject({ id: cert.id, state: 'new', count: 5, stateChangedBy: 'sightline', stateNote: '1 new incident(s) since it was dismissed' });

    // Promote → a problem with the members linked; a known error needs a workaround.
    const promoted = await s.request('POST', `/api/v1/problem-candidates/${disk.id}/promote`, { token: s.tokens.write, json: { title: 'PostgreSQL data volume fills up', owner: 'dba-team' } });
    expect(promoted.status).toBe(201);
    const promotedBody = (await promoted.json()) as any;
    expect(promotedBody).toMatchObject({ state: 'promoted', problem: { title: 'PostgreSQL data volume fills up', status: 'open', owner: 'dba-team', candidateId: disk.id } });
    const problemId = promotedBody.problem.id as number;
    expect((await s.request('POST', `/api/v1/problem-candidates/${disk.id}/dismiss`, { token: s.tokens.write })).status).toBe(409);

    const noWorkaround = await s.request('PATCH', `/api/v1/problems/${problemId}`, { token: s.tokens.write, json: { status: 'known_error' } });
    expect(noWorkaround.status).toBe(400);
    expect(((await noWorkaround.json()) as any).error.message).toMatch(/workaround/);
    const known = await s.request('POST', `/api/v1/problems/${problemId}/known-error`, {
      token: s.tokens.write,
      json: { workaround: 'Run VACUUM FULL on the audit tables and extend the volume', rootCause: 'audit table bloat' },
    });
    expect(known.status).toBe(200);
    const problem = (await known.json()) as any;
    expect(problem).toMatchObject({ status: 'known_error', knownError: true, rootCause: 'audit table bloat' });
    expect(problem.incidents).toHaveLength(7);
    expect(problem.timeline.map((t: any) => t.kind)).toEqual(['created', 'status', 'edited']);
    expect(((await (await s.request('GET', '/api/v1/known-errors', { token: s.tokens.read })).json()) as any).items.map((p: any) => p.id)).toEqual([problemId]);

    // A new disk incident (still open) is recognised by the periodic pass; an unrelated one is not.
    s.clock.set(T0 + 2 * HOUR);
    const fresh = await incident(DISK, T0 + 2 * HOUR, true);
    const unrelated = await incident({ alertname: 'QueueStalled', service: 'billing', summary: () => 'invoice queue consumer stalled' }, T0 + 2 * HOUR, true);
    const pass = await recognizeKnownErrors({ handle: s.runtime.handle, clock: s.clock, log: s.runtime.log, options: problemOptionsOf(s.runtime.config.problems) });
    expect(pass).toEqual({ checked: 2, matched: 1 });

    const shown = (await (await s.request('GET', `/api/v1/incidents/${fresh}`, { token: s.tokens.read })).json()) as any;
    expect(shown.knownError).toMatchObject({ problemId, title: 'PostgreSQL data volume fills up', workaround: 'Run VACUUM FULL on the audit tables and extend the volume' });
    const entry = shown.timeline.find((t: any) => t.kind === 'known_error');
    expect(entry.message).toContain('Workaround: Run VACUUM FULL');
    expect(((await (await s.request('GET', `/api/v1/incidents/${unrelated}`, { token: s.tokens.read })).json()) as any).knownError).toBeNull();
    expect((await s.request('GET', `/api/v1/incidents/${unrelated}/known-error`, { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', `/api/v1/incidents/${fresh}/known-error`, { token: s.tokens.read })).status).toBe(200);

    // A second pass does not match (or annotate) the same incident twice.
    expect(await recognizeKnownErrors({ handle: s.runtime.handle, clock: s.clock, log: s.runtime.log, options: problemOptionsOf(s.runtime.config.problems) })).toEqual({ checked: 1, matched: 0 });
    const after = (await (await s.request('GET', `/api/v1/problems/${problemId}`, { token: s.tokens.read })).json()) as any;
    expect(after.incidents.map((i: any) => i.id)).toContain(fresh);
    expect(after.timeline.map((t: any) => t.kind)).toContain('recognised');

    const similar = (await (await s.request('GET', `/api/v1/incidents/${diskIds[0]}/similar`, { token: s.tokens.read })).json()) as any;
    expect(similar.candidates.map((c: any) => c.id)).toEqual([disk.id]);
    expect(similar.candidates[0]).toMatchObject({ via: 'member' });
    expect(similar.items.length).toBeGreaterThanOrEqual(6);
    // Not (yet) a member: its nearest candidate's incidents; an unrelated incident has none.
    const nearest = (await (await s.request('GET', `/api/v1/incidents/${fresh}/similar?limit=3`, { token: s.tokens.read })).json()) as any;
    expect(nearest.candidates).toMatchObject([{ id: disk.id, via: 'nearest' }]);
    expect(nearest.items).toHaveLength(3);
    expect(((await (await s.request('GET', `/api/v1/incidents/${unrelated}/similar`, { token: s.tokens.read })).json()) as any).items).toEqual([]);
    expect((await s.request('GET', '/api/v1/incidents/987654/similar', { token: s.tokens.read })).status).toBe(404);

    const metrics = await (await s.request('GET', '/metrics', { token: null })).text();
    expect(metrics).toMatch(/sightline_problem_candidates\{state="promoted",badge="(new|rare|frequent)"\} 1/);
    expect(metrics).toMatch(/sightline_problems\{status="known_error"\} 1/);
    expect(metrics).toMatch(/sightline_known_errors 1/);
  });

  it('answers bad input with 4xx', async () => {
    expect((await s.request('GET', '/api/v1/problem-candidates?state=bogus', { token: s.tokens.read })).status).toBe(400);
    expect((await s.request('GET', '/api/v1/problem-candidates/not-an-id', { token: s.tokens.read })).status).toBe(400);
    expect((await s.request('GET', '/api/v1/problem-candidates/pc-000000000000', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('POST', '/api/v1/problems', { token: s.tokens.write, json: { title: '' } })).status).toBe(400);
    expect((await s.request('POST', '/api/v1/problems', { token: s.tokens.write, json: { title: 'x', incidentIds: [987654] } })).status).toBe(400);
    expect((await s.request('PATCH', '/api/v1/problems/987654', { token: s.tokens.write, json: { title: 'x' } })).status).toBe(404);
    expect((await s.request('PATCH', '/api/v1/problems/1', { token: s.tokens.write, json: {} })).status).toBe(400);
    const created = await s.request('POST', '/api/v1/problems', { token: s.tokens.write, json: { title: 'Flaky DNS resolver', owner: 'netops' } });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as any).id;
    expect((await s.request('PATCH', `/api/v1/problems/${id}`, { token: s.tokens.write, json: { status: 'resolved' } })).status).toBe(200);
    const listed = (await (await s.request('GET', '/api/v1/problems?status=resolved', { token: s.tokens.read })).json()) as any;
    expect(listed.items.map((p: any) => p.id)).toContain(id);
  });
});

describe('problem refresh in the running server', () => {
  let s: TestServer;
  let stopJobs: () => Promise<void>;
  beforeAll(async () => {
    s = await startTestServer('sqlite', {}, 'problems:\n  refreshInterval: 1s\n  recognitionInterval: 0\n');
    stopJobs = startBackgroundJobs(s.runtime);
  });
  afterAll(async () => {
    await stopJobs?.();
    await s?.close();
  });

  it('re-clusters on its interval', async () => {
    for (let n = 0; n < 3; n++) {
      const alert = makeNativeAlert({
        labels: { alertname: 'DiskFull', service: 'storage', severity: 'critical', instance: `db-${n}.prod:9100` },
        annotations: { summary: DISK.summary(n) },
        startsAt: iso(T0 - (10 - n) * 24 * HOUR),
      });
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    }
    const deadline = Date.now() + 15_000;
    let items: any[] = [];
    while (items.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      items = ((await (await s.request('GET', '/api/v1/problem-candidates', { token: s.tokens.read })).json()) as { items: any[] }).items;
    }
    expect(items).toMatchObject([{ alertname: 'DiskFull', count: 3, state: 'new' }]);
    const metrics = await (await s.request('GET', '/metrics', { token: null })).text();
    expect(metrics).toMatch(/sightline_problem_refresh_duration_seconds_count [1-9]/);
  });
});
