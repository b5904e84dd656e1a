/**
 * Problem management in the web UI on both databases: the ranked candidates, a candidate's
 * page, review and promotion (write scope and CSRF token needed), a problem becoming a known
 * error only with a workaround, and the known error shown on a member incident's page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('problem pages on %s', (dialect) => {
  let s: TestServer;
  let candidateId: string;
  let memberIncident: number;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    for (let n = 1; n <= 5; n++) {
      const at = T0 - (30 - n * 5) * 24 * HOUR;
      const alert = makeNativeAlert({
        labels: { alertname: 'DiskFull', service: 'storage', severity: 'critical', instance: `db-${n}.prod:9100` },
        annotations: { summary: `filesystem /var/lib/pgdata on db-${n}.prod is ${90 + n}% full` },
        startsAt: iso(at),
      });
      for (const a of [alert, { ...alert, status: 'resolved', endsAt: iso(at + HOUR) }]) expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [a] } })).status).toBe(200);
      await s.settle();
    }
    expect((await s.request('POST', '/api/v1/problem-candidates/refresh', { token: s.tokens.write })).status).toBe(200);
    const items = ((await (await s.request('GET', '/api/v1/problem-candidates')).json()) as { items: { id: string; alertname: string }[] }).items;
    candidateId = (items.find((c) => c.alertname === 'DiskFull') as { id: string }).id;
    const incidents = ((await (await s.request('GET', '/api/v1/incidents?status=resolved,closed&limit=1')).json()) as { items: { id: number }[] }).items;
    memberIncident = (incidents[0] as { id: number }).id;
  });
  afterAll(async () => s?.close());

  const get = (path: string, cookie: string) => s.runtime.app.request(`${ORIGIN}${path}`, { headers: { cookie } });
  const post = (path: string, form: Record<string, string>, cookie: string) =>
    s.runtime.app.request(`${ORIGIN}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie }, body: new URLSearchParams(form).toString() });
  async function signIn(token: string) {
    const res = await post('/ui/sign-in', { token }, '');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/ui/problems/candidates', cookie)).text())?.[1] as string;
    return { cookie, csrf };
  }

  it('ranks candidates and shows one with members, top terms and its recurrence chart', async () => {
    const { cookie } = await signIn(s.tokens.read);
    const list = await (await get('/ui/problems/candidates', cookie)).text();
    expect(list).toContain(`data-candidate="${candidateId}"`);
    expect(list).toMatch(/class="pbadge (new|frequent|rare)"/);
    const page = await get(`/ui/problems/candidates/${candidateId}`, cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Member incidents');
    expect(html).toContain('Incidents per week');
    expect(html).toContain('class="term"');
    expect(html).not.toContain('Promote to problem'); // read only
    expect((await get('/ui/problems/candidates/nope', cookie)).status).toBe(404);
  });

  it('refuses promotion to a read-only session and without a CSRF token', async () => {
    const reader = await signIn(s.tokens.read);
    expect((await post(`/ui/problems/candidates/${candidateId}/promote`, { _csrf: reader.csrf }, reader.cookie)).status).toBe(403);
    const writer = await signIn(s.tokens.write);
    expect((await post(`/ui/problems/candidates/${candidateId}/promote`, {}, writer.cookie)).status).toBe(403);
    const state = ((await (await s.request('GET', `/api/v1/problem-candidates/${candidateId}`)).json()) as { state: string }).state;
    expect(state).toBe('new');
  });

  it('promotes a candidate to a problem and publishes it as a known error with a workaround', async () => {
    const { cookie, csrf } = await signIn(s.tokens.write);
    expect((await post(`/ui/problems/candidates/${candidateId}/review`, { _csrf: csrf }, cookie)).status).toBe(303);
    const promoted = await post(`/ui/problems/candidates/${candidateId}/promote`, { _csrf: csrf, title: 'Database disks fill up', owner: 'dba', note: 'seen monthly' }, cookie);
    expect(promoted.status).toBe(303);
    const location = promoted.headers.get('location') as string;
    expect(location).toMatch(/^\/ui\/problems\/\d+\?done=promote$/);
    const problemPath = location.split('?')[0] as string;
    expect(await (await get(location, cookie)).text()).toContain('Database disks fill up');
    // Promoting twice is a conflict, explained on the page.
    const again = await post(`/ui/problems/candidates/${candidateId}/promote`, { _csrf: csrf }, cookie);
    expect(again.status).toBe(409);

    const noWorkaround = await post(problemPath, { _csrf: csrf, status: 'known_error', owner: 'dba', rootCause: '', workaround: '' }, cookie);
    expect(noWorkaround.status).toBe(400);
    expect(await noWorkaround.text()).toContain('needs a workaround');
    const saved = await post(problemPath, { _csrf: csrf, status: 'known_error', owner: 'dba', rootCause: 'WAL archiving stalls', workaround: 'Restart the archiver, then vacuum', note: 'runbook linked' }, cookie);
    expect(saved.status).toBe(303);
    const known = await (await get('/ui/problems?status=known_error', cookie)).text();
    expect(known).toContain('Database disks fill up');
    expect(known).toContain('Restart the archiver');
    const incidentPage = await (await get(`/ui/incidents/${memberIncident}`, cookie)).text();
    expect(incidentPage).toContain('Similar past incidents');
  });
});
