/**
 * Metric SLIs measured from a real Prometheus (Debian's 2.42, started here) holding two days
 * of synthetic request counters backfilled with `promtool tsdb create-blocks-from openmetrics`:
 * 100 requests a minute, 1 a minute failing on the first day and 3 on the second. Over the
 * period that is 288,000 requests, 282,240 good (98 %); at 97.5 % the budget is 7,200 bad
 * requests, 5,760 spent, 20 % left. Shown by `GET /api/v1/sla/:service` and the SLA page.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, startPrometheus, stopAllProcesses, type PrometheusProcess } from '../helpers/processes.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const DAY = 1440 * MIN;
const ORIGIN = 'http://sightline.test';

/** OpenMetrics text of the two counters, one sample a minute from T0 − 2 days to T0. */
function syntheticCounters(): string {
  const lines = ['# HELP http_requests Requests served.', '# TYPE http_requests counter'];
  for (const code of ['200', '500']) {
    let value = 0;
    for (let minute = 0; minute <= 2 * 1440; minute++) {
      const failing = minute === 0 ? 0 : minute <= 1440 ? 1 : 3;
      value += minute === 0 ? 0 : code === '500' ? failing : 100 - failing;
      lines.push(`http_requests_total{job="api",code="${code}"} ${value} ${(T0 - 2 * DAY + minute * MIN) / 1000}`);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

let prometheus: PrometheusProcess;
/** A loopback port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  prometheus = await startPrometheus(
    (dir) => {
      writeFileSync(path.join(dir, 'counters.om'), syntheticCounters());
      const backfill = spawnSync(requireBinary(['promtool'], 'prometheus'), ['tsdb', 'create-blocks-from', 'openmetrics', 'counters.om', 'data'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      if (backfill.status !== 0) throw new Error(`promtool backfill failed: ${backfill.stderr}`);
      return { global: { scrape_interval: '1m' } };
    },
    {},
    // The samples are older than the default 15 days of retention by the time a test runs.
    { extraArgs: ['--storage.tsdb.retention.time=100y'] },
  );
}, 90_000);
afterAll(() => stopAllProcesses());

describe.each(dialects())('metric SLIs from Prometheus on %s', (dialect) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer(
      dialect,
      {},
      `
services:
  - name: api
    sla:
      objective: "99.9"
      period: 30d
      metrics:
        prometheusUrl: ${prometheus.url}
        step: 1h
        slis:
          - name: requests
            objective: "97.5"
            good: 'http_requests_total{job="api",code!~"5.."}'
            total: 'http_requests_total{job="api"}'
          - name: broken
            good: 'http_requests_total{'
            total: 'http_requests_total'
  - name: elsewhere
    sla:
      objective: "99"
      metrics: { prometheusUrl: "http://127.0.0.1:${closedPort}", slis: [{ name: requests, good: ok_total, total: all_total }] }
`,
    );
  });
  afterAll(async () => s?.close());

  it('reports the ratio SLI beside the incident-based availability', async () => {
    const res = await s.request('GET', '/api/v1/sla/api', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.sli).toBe(1); // no incident: the availability from incidents is whole
    const [requests, broken] = body.metricSlis;
    expect(requests).toMatchObject({
      name: 'requests',
      objective: '97.5',
      period: { start: new Date(T0 - 30 * DAY).toISOString(), end: new Date(T0).toISOString() },
      measuredUntil: new Date(T0).toISOString(),
      error: null,
      breached: false,
    });
    expect(requests.totalEvents).toBeCloseTo(288_000, 6);
    expect(requests.goodEvents).toBeCloseTo(282_240, 6);
    expect(requests.sli).toBeCloseTo(0.98, 9);
    expect(requests.budget.allowedBadEvents).toBeCloseTo(7_200, 6);
    expect(requests.budget.badEvents).toBeCloseTo(5_760, 6);
    expect(requests.budget.remainingRatio).toBeCloseTo(0.2, 9);
    expect(broken).toMatchObject({ name: 'broken', objective: '99.9', sli: null, budget: null, error: expect.stringMatching(/^Prometheus answered 400: /) });
  });

  it('reports a Prometheus that cannot be reached as the SLI\'s error, not a failed request', async () => {
    const res = await s.request('GET', '/api/v1/sla/elsewhere', { token: s.tokens.read });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).metricSlis).toEqual([expect.objectContaining({ name: 'requests', sli: null, error: 'cannot reach Prometheus (ECONNREFUSED)' })]);
  });

  it('shows the metric SLIs on the SLA page', async () => {
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const html = await (await s.runtime.app.request(`${ORIGIN}/ui/sla`, { headers: { cookie } })).text();
    const table = html.slice(html.indexOf('data-metric-slis="api"'), html.indexOf('</table>', html.indexOf('data-metric-slis="api"')));
    expect(table).toContain('Measured from Prometheus metrics');
    expect(table).toMatch(/<tr data-sli="requests"><td>requests<\/td><td class="num">97.5 %<\/td><td class="num">282,240 \/ 288,000<\/td><td class="num">98.000 %<\/td>/);
    expect(table).toContain('20.0 %');
    expect(table).toMatch(/<tr data-sli="broken">.*not measured: Prometheus answered 400/);
  });

  it('refuses a policy whose metric SLIs are not valid, naming the field', async () => {
    const res = await s.request('PUT', '/api/v1/services/bad', { token: s.tokens.write, json: { sla: { objective: '99', metrics: { prometheusUrl: 'prometheus:9090', step: '10s', slis: [{ name: 'Req', good: '', total: 'x' }] } } } });
    expect(res.status).toBe(400);
    const issues = ((await res.json()) as any).error.details.issues.map((i: any) => i.path);
    expect(issues).toEqual(['sla.metrics.prometheusUrl', 'sla.metrics.step', 'sla.metrics.slis.0.name', 'sla.metrics.slis.0.good']);
    const secret = await s.request('PUT', '/api/v1/services/bad', { token: s.tokens.write, json: { sla: { objective: '99', metrics: { prometheusUrl: 'http://admin:hunter2@prometheus:9090', slis: [{ name: 'req', good: 'a', total: 'b' }] } } } });
    expect(secret.status).toBe(400);
    expect(((await secret.json()) as any).error.message).toBe('invalid service: sla.metrics.prometheusUrl: must not hold a user or password (policies are shown to every read token)');
  });
});
