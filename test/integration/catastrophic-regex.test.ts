/**
 * Regexes are RE2 and fully anchored, as in Alertmanager: `(a+)+` against 32 × `a` + `b`, which
 * backtracks exponentially in a backtracking engine, is applied at once in a silence, a grouping
 * rule and an inhibition rule, and the correlator goes on applying the events after it. Patterns
 * RE2 refuses (backreferences, lookaround) are refused at the API with the field and RE2's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const EVIL_NAME = `${'a'.repeat(32)}b`;

const YAML = `
correlation:
  rules:
    - name: only-as
      match: [{ name: alertname, value: "(a+)+", isRegex: true }]
  inhibitRules:
    - sourceMatch: [{ name: alertname, value: "(a+)+", isRegex: true }]
      targetMatch: [{ name: severity, value: "(a+)+", isRegex: true, isEqual: false }]
      equal: [host]
`;

describe.each(dialects())('catastrophic regexes on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
  });
  afterAll(async () => s?.close());

  async function fire(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  const alertRow = (fingerprint: string) => s.runtime.handle.db.selectFrom('alerts').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();

  it('applies (a+)+ against 32 × a + b in a silence, a rule and an inhibition, and goes on with the next events', async () => {
    s.clock.set(T0);
    const created = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { matchers: [{ name: 'alertname', value: '(a+)+', isRegex: true }], duration: '1h', comment: 'only a' },
    });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string };

    await fire([
      makeNativeAlert({ labels: { alertname: EVIL_NAME, host: 'h1', severity: 'warning' }, startsAt: iso(T0 + MIN), fingerprint: 'evil' }),
      makeNativeAlert({ labels: { alertname: 'aaaa', host: 'h2', severity: 'critical' }, startsAt: iso(T0 + MIN), fingerprint: 'as' }),
    ]);
    // Anchored: (a+)+ does not match 32 × a + b, so the silence leaves it and it opens an incident.
    expect(await alertRow('evil')).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number) });
    expect(await alertRow('as')).toMatchObject({ suppressed_by: silence.id, incident_id: null });

    // Events after it are applied: the correlator did not stop.
    await fire([makeNativeAlert({ labels: { alertname: 'DiskFull', host: 'h3', severity: 'warning' }, startsAt: iso(T0 + 2 * MIN), fingerprint: 'after' })]);
    expect(await alertRow('after')).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number) });

    // Once the silence has ended, the grouping rule and the inhibition rule take an all-a alert on h1.
    s.clock.set(T0 + 2 * 60 * MIN);
    await fire([makeNativeAlert({ labels: { alertname: 'aaa', host: 'h1', severity: 'critical' }, startsAt: iso(T0 + 2 * 60 * MIN), fingerprint: 'inhibitor' })]);
    await fire([makeNativeAlert({ labels: { alertname: EVIL_NAME, host: 'h1', severity: 'warning' }, startsAt: iso(T0 + 2 * 60 * MIN + MIN), fingerprint: 'evil-late' })]);
    const inhibitor = await alertRow('inhibitor');
    expect(inhibitor).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number) });
    const incident = (await (await s.request('GET', `/api/v1/incidents/${inhibitor.incident_id}`, { token: s.tokens.read })).json()) as { groupKey: string };
    expect(incident.groupKey).toBe('rule=only-as');
    expect(await alertRow('evil-late')).toMatchObject({ suppressed_by: 'inhibited:api/inhibitor' });
  });

  it.each([
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
  ])('refuses a silence regex RE2 refuses: %s', async (pattern, message) => {
    const res = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { matchers: [{ name: 'alertname', value: pattern, isRegex: true }], duration: '1h', comment: 'x' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'VALIDATION', message: `invalid silence: matchers.0.value: invalid regular expression ${JSON.stringify(pattern)} (RE2 syntax): ${message}` });
  });
});
