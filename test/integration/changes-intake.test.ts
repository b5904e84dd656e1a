/**
 * Changes come in through the native API, PagerDuty Change Events, GitHub deployment_status
 * webhooks and Argo CD notifications, each mapped to a service of the catalogue as alerts are;
 * a planned change can declare its window maintenance, which mutes its service's alerts.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'changes', name), 'utf8');
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const GITHUB_SECRET = 'a-webhook-secret-of-some-length';
const INTEGRATION_KEY = 'samplekeyhere';

/** The Argo CD template of docs/changes.md, rendered as Argo CD's Go templates render it (a missing key prints `<no value>`). */
function renderArgoCdTemplate(context: Record<string, unknown>): string {
  const doc = readFileSync(path.join(here, '..', '..', 'docs', 'changes.md'), 'utf8');
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'body: |');
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('          ')) break;
    body.push(line.slice(10));
  }
  expect(body.length).toBeGreaterThan(5);
  return `${body.join('\n')}\n`.replace(/\{\{\s*\.([\w.]+)\s*\}\}/g, (_m, p: string) => {
    const value = p.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), context);
    return value === undefined ? '<no value>' : String(value);
  });
}

describe.each(dialects())('change intake on %s', (dialect) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer(dialect, {}, `
ingest:
  pagerduty:
    integrationKeys: [${INTEGRATION_KEY}]
changes:
  github:
    webhookSecret: ${GITHUB_SECRET}
services:
  - name: build-tools
    match: { hosts: [acme-build-pipeline-tool-default-i-9999] }
  - name: checkout
    match:
      labels: { repository: acme/checkout, environment: production }
  - name: catalog
    match:
      labels: { argocd_app: catalog-prod }
  - name: payments
    match:
      labels: { team: payments, component: api }
      hosts: [pay-1, pay-2.example.com]
`);
  });
  afterAll(async () => {
    await s?.close();
  });

  const changeRow = (id: number) => s.runtime.handle.db.selectFrom('changes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const listed = async (query: string) => (await (await s.request('GET', `/api/v1/changes${query}`, { token: s.tokens.read })).json()) as any;

  describe('native API', () => {
    it('records a change and answers 201 with its id', async () => {
      const res = await s.request('POST', '/api/v1/changes', {
        token: s.tokens.write,
        json: {
          service: 'checkout',
          summary: 'v2.3.1: new payment form',
          kind: 'deploy',
          startedAt: '2026-11-21T03:58:00Z',
          finishedAt: '2026-11-21T05:00:00+01:00',
          version: 'v2.3.1',
          author: 'alice',
          links: ['https://ci.example.com/builds/1234', { href: 'https://git.example.com/compare', text: 'diff' }],
          labels: { environment: 'production' },
        },
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: number };
      expect(await changeRow(id)).toMatchObject({ service: 'checkout', kind: 'deploy', started_at: Date.parse('2026-11-21T03:58:00Z'), finished_at: Date.parse('2026-11-21T04:00:00Z'), source: 'api', received_at: T0 });
      const page = await listed('?service=checkout');
      expect(page.items[0]).toEqual({
        id,
        service: 'checkout',
        summary: 'v2.3.1: new payment form',
        kind: 'deploy',
        startedAt: '2026-11-21T03:58:00.000Z',
        finishedAt: '2026-11-21T04:00:00.000Z',
        version: 'v2.3.1',
        author: 'alice',
        links: [{ href: 'https://ci.example.com/builds/1234' }, { href: 'https://git.example.com/compare', text: 'diff' }],
        labels: { environment: 'production' },
        source: 'api',
        receivedAt: iso(T0),
      });
    });

    it.each([
      [{ kind: 'release' }, 'invalid change: kind: Invalid option: expected one of "deploy"|"config"|"feature_flag"|"infrastructure"|"other"'],
      [{ startedAt: '2026-11-21T03:58:00' }, 'invalid change: startedAt: "2026-11-21T03:58:00" has no UTC offset'],
      [{ service: 'no spaces allowed' }, 'invalid change: service: a letter or digit'],
      [{ summary: '  ' }, 'invalid change: summary: must not be empty'],
      [{ links: ['ftp://example.com/x'] }, 'invalid change: links.0'],
      [{ labels: { 'not-a-label': 'x' } }, 'invalid change: labels.not-a-label: must be a label name'],
      [{ colour: 'blue' }, 'invalid change: Unrecognized key: "colour"'],
      [{ maintenance: true }, 'finishedAt: a maintenance window needs its end (finishedAt)'],
    ])('refuses %j with 400 naming the field', async (override, message) => {
      const res = await s.request('POST', '/api/v1/changes', { token: s.tokens.write, json: { service: 'checkout', summary: 'x', kind: 'deploy', startedAt: '2026-11-21T03:58:00Z', ...override } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toContain(message);
    });

    it('needs the write scope to record and the read scope to list', async () => {
      const body = { service: 'checkout', summary: 'x', kind: 'deploy', startedAt: '2026-11-21T03:58:00Z' };
      expect((await s.request('POST', '/api/v1/changes', { token: null, json: body })).status).toBe(401);
      expect((await s.request('POST', '/api/v1/changes', { token: s.tokens.read, json: body })).status).toBe(403);
      expect((await s.request('POST', '/api/v1/changes', { token: s.tokens.ingest, json: body })).status).toBe(403);
      expect((await s.request('GET', '/api/v1/changes', { token: s.tokens.ingest })).status).toBe(403);
    });

    it('lists newest first, pages with a keyset cursor, and filters by service and start', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await s.request('POST', '/api/v1/changes', { token: s.tokens.write, json: { service: 'paging', summary: `change ${i}`, kind: 'config', startedAt: iso(T0 - (5 - i) * MIN) } });
        ids.push(((await res.json()) as { id: number }).id);
      }
      const first = await listed('?service=paging&limit=2');
      expect(first.items.map((c: any) => c.id)).toEqual([ids[4], ids[3]]);
      // A change recorded meanwhile does not shift the next page.
      await s.request('POST', '/api/v1/changes', { token: s.tokens.write, json: { service: 'paging', summary: 'late', kind: 'other', startedAt: iso(T0) } });
      const second = await listed(`?service=paging&limit=2&cursor=${first.nextCursor}`);
      expect(second.items.map((c: any) => c.id)).toEqual([ids[2], ids[1]]);
      const third = await listed(`?service=paging&limit=2&cursor=${second.nextCursor}`);
      expect(third).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
      expect((await listed('?service=paging&since=150s')).items.map((c: any) => c.summary)).toEqual(['late', 'change 4', 'change 3']);
      expect((await listed(`?service=paging&since=${encodeURIComponent(iso(T0 - 2 * MIN))}`)).items).toHaveLength(3);
      const bad = await s.request('GET', '/api/v1/changes?limit=0', { token: s.tokens.read });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).error.message).toMatch(/^invalid query: limit: /);
      const cursor = await s.request('GET', '/api/v1/changes?cursor=bm9wZQ', { token: s.tokens.read });
      expect(((await cursor.json()) as any).error.message).toBe('cursor: is not valid');
    });
  });

  describe('PagerDuty Change Events', () => {
    it('takes PagerDuty’s documented example and maps its source to the service listing that host', async () => {
      const res = await s.request('POST', '/v2/change/enqueue', { token: null, body: fixture('pagerduty-change-event.json'), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'success', message: 'Change event processed' });
      const [change] = (await listed('?service=build-tools')).items;
      expect(change).toMatchObject({
        service: 'build-tools',
        summary: 'Build Success: Increase snapshot create timeout to 30 seconds',
        kind: 'other',
        startedAt: '2020-07-17T08:42:58.315Z',
        finishedAt: null,
        links: [{ href: 'https://acme.pagerduty.dev/build/2', text: 'View more details in Acme!' }],
        labels: { build_state: 'passed', build_number: '2', run_time: '1236s', host: 'acme-build-pipeline-tool-default-i-9999' },
        source: 'pagerduty',
      });
    });

    it('maps custom_details through match.labels, with an ingest token as routing key', async () => {
      const event = { routing_key: s.tokens.ingest, payload: { summary: 'Flag new-checkout on for 10%', source: 'flagd', custom_details: { team: 'payments', component: 'api', kind: 'feature_flag', author: 'bob' } } };
      expect((await s.request('POST', '/v2/change/enqueue', { token: null, json: event })).status).toBe(202);
      expect((await listed('?service=payments')).items[0]).toMatchObject({ summary: 'Flag new-checkout on for 10%', kind: 'feature_flag', author: 'bob', startedAt: iso(T0) });
    });

    it('answers as PagerDuty does: an unknown routing key, a bad event, a change no service matches', async () => {
      const unknown = await s.request('POST', '/v2/change/enqueue', { token: null, json: { routing_key: 'nope-nope-nope', payload: { summary: 'x' } } });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as any).errors[0]).toMatch(/^Invalid routing key/);
      const bad = await s.request('POST', '/v2/change/enqueue', { token: null, json: { routing_key: INTEGRATION_KEY, payload: { source: 'x' } } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary': Invalid input: expected string, received undefined"] });
      const unmapped = await s.request('POST', '/v2/change/enqueue', { token: null, json: { routing_key: INTEGRATION_KEY, payload: { summary: 'x', source: 'elsewhere' } } });
      expect(unmapped.status).toBe(400);
      expect(((await unmapped.json()) as any).errors[0]).toContain('no service of the catalogue matches this change (labels {"host":"elsewhere"})');
      expect((await s.request('POST', '/v2/change/enqueue', { token: null, json: { payload: { summary: 'x' } } })).status).toBe(401);
    });
  });

  describe('GitHub deployment_status', () => {
    const sign = (body: string, secret = GITHUB_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const deliver = (body: string, headers: Record<string, string>) =>
      s.request('POST', '/api/v1/changes/github', { token: null, body, headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_status', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', ...headers } });

    it('records a successful deployment on the service matching repository and environment', async () => {
      const body = fixture('github-deployment-status.json');
      const res = await deliver(body, { 'x-hub-signature-256': sign(body) });
      expect(res.status).toBe(201);
      const answer = (await res.json()) as any;
      expect(answer).toMatchObject({ status: 'recorded', service: 'checkout' });
      expect((await listed('?service=checkout')).items[0]).toEqual({
        id: answer.id,
        service: 'checkout',
        summary: 'Deployed acme/checkout v2.3.1 to production',
        kind: 'deploy',
        startedAt: '2026-11-21T03:47:31.000Z',
        finishedAt: '2026-11-21T03:52:10.000Z',
        version: 'v2.3.1',
        author: 'alice',
        links: [
          { href: 'https://github.com/acme/checkout/actions/runs/7001/job/9001', text: 'deployment log' },
          { href: 'https://shop.example.com', text: 'production' },
          { href: 'https://github.com/acme/checkout/commit/9c1f0e6b2a4d8e7f3b5c6d7e8f9a0b1c2d3e4f5a', text: 'commit 9c1f0e6' },
        ],
        labels: { repository: 'acme/checkout', environment: 'production', sha: '9c1f0e6b2a4d8e7f3b5c6d7e8f9a0b1c2d3e4f5a' },
        source: 'github',
        receivedAt: iso(T0),
      });
    });

    it('refuses a missing or wrong signature with 401 and records nothing', async () => {
      const body = fixture('github-deployment-status.json');
      const before = (await listed('?service=checkout')).items.length;
      const missing = await deliver(body, {});
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as any).error.message).toBe('GitHub signature check failed: missing X-Hub-Signature-256 header');
      const wrong = await deliver(body, { 'x-hub-signature-256': sign(body, 'another-secret-entirely') });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as any).error.message).toBe('GitHub signature check failed: signature mismatch');
      // Signed, then changed on the way.
      const tampered = await deliver(body.replace('acme/checkout', 'acme/checkouT'), { 'x-hub-signature-256': sign(body) });
      expect(tampered.status).toBe(401);
      expect((await deliver(body, { 'x-hub-signature-256': 'sha1=abc' })).status).toBe(401);
      expect((await listed('?service=checkout')).items.length).toBe(before);
    });

    it('records only success: other states, pings and other events are acknowledged and not recorded', async () => {
      const before = (await listed('?service=checkout')).items.length;
      const inProgress = fixture('github-deployment-status.json').replace('"state": "success"', '"state": "in_progress"');
      const res = await deliver(inProgress, { 'x-hub-signature-256': sign(inProgress) });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'ignored', message: 'deployment status in_progress: only success records a change' });
      const ping = '{"zen":"Design for failure.","hook_id":1}';
      expect((await deliver(ping, { 'x-hub-signature-256': sign(ping), 'x-github-event': 'ping' })).status).toBe(200);
      const push = '{"ref":"refs/heads/main"}';
      expect((await deliver(push, { 'x-hub-signature-256': sign(push), 'x-github-event': 'push' })).status).toBe(202);
      expect((await listed('?service=checkout')).items.length).toBe(before);
      const staging = fixture('github-deployment-status.json').replaceAll('"production"', '"staging"');
      const unmapped = await deliver(staging, { 'x-hub-signature-256': sign(staging) });
      expect(unmapped.status).toBe(400);
      expect(((await unmapped.json()) as any).error.message).toContain('no service of the catalogue matches this change (labels {"repository":"acme/checkout","environment":"staging"');
    });
  });

  describe('Argo CD notifications', () => {
    const app = (username: string | undefined) => ({
      context: { argocdUrl: 'https://argocd.example.com' },
      app: {
        metadata: { name: 'catalog-prod' },
        spec: { destination: { namespace: 'shop' } },
        status: {
          sync: { revision: '4f6c1e2d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d' },
          operationState: { phase: 'Succeeded', startedAt: '2026-11-21T03:55:02Z', finishedAt: '2026-11-21T03:56:40Z', operation: { initiatedBy: username === undefined ? { automated: true } : { username } } },
        },
      },
    });

    it('records the JSON the documented template produces, mapped through the argocd_app label', async () => {
      const res = await s.request('POST', '/api/v1/changes/argocd', { token: s.tokens.ingest, body: renderArgoCdTemplate(app('carol')), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(201);
      expect(((await res.json()) as any).service).toBe('catalog');
      expect((await listed('?service=catalog')).items[0]).toMatchObject({
        summary: 'Argo CD synced catalog-prod to 4f6c1e2d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
        kind: 'deploy',
        startedAt: '2026-11-21T03:55:02.000Z',
        finishedAt: '2026-11-21T03:56:40.000Z',
        version: '4f6c1e2d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
        author: 'carol',
        links: [{ href: 'https://argocd.example.com/applications/catalog-prod', text: 'Argo CD application' }],
        labels: { argocd_app: 'catalog-prod', namespace: 'shop' },
        source: 'argocd',
      });
    });

    it('takes an automated sync, whose template prints no user', async () => {
      const body = renderArgoCdTemplate(app(undefined));
      expect(body).toContain('"author": "<no value>"');
      const res = await s.request('POST', '/api/v1/changes/argocd', { token: s.tokens.ingest, body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(201);
      expect((await listed('?service=catalog')).items[0]).toMatchObject({ author: null, source: 'argocd' });
      expect((await s.request('POST', '/api/v1/changes/argocd', { token: s.tokens.read, body, headers: { 'content-type': 'application/json' } })).status).toBe(403);
    });
  });

  describe('a planned change as a maintenance window', () => {
    const alertRow = (fingerprint: string) => s.runtime.handle.db.selectFrom('alerts').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
    async function fire(fingerprint: string, labels: Record<string, string>, at: number) {
      s.clock.set(at);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'Down', ...labels }, startsAt: iso(at), fingerprint })] } })).status).toBe(200);
      await s.settle();
      return alertRow(fingerprint);
    }

    it('mutes the service’s alerts however the catalogue maps them, inside the window only', async () => {
      const start = T0 + 60 * MIN;
      const res = await s.request('POST', '/api/v1/changes', {
        token: s.tokens.write,
        json: { service: 'payments', summary: 'PostgreSQL 16 upgrade', kind: 'infrastructure', startedAt: iso(start), finishedAt: iso(start + 60 * MIN), maintenance: true },
      });
      expect(res.status).toBe(201);
      const answer = (await res.json()) as any;
      expect(answer.maintenance).toMatchObject({ startsAt: iso(start), endsAt: iso(start + 60 * MIN) });
      expect(answer.maintenance.silences).toHaveLength(5);
      const silences = (await (await s.request('GET', '/api/v1/silences', { token: s.tokens.read })).json()) as any;
      const ours = silences.items.filter((x: any) => answer.maintenance.silences.includes(x.id));
      expect(ours.map((x: any) => [x.kind, x.state, x.comment])).toEqual(Array(5).fill(['maintenance', 'pending', `Maintenance: PostgreSQL 16 upgrade (change ${answer.id})`]));

      // Before the window: correlated.
      expect((await fire('before', { service: 'payments' }, start - MIN)).suppressed_by).toBeNull();
      // Inside: by its service label, by match.labels, by host and by instance; another service's alerts are not muted.
      for (const [fingerprint, labels] of [
        ['by-service', { service: 'payments' }],
        ['by-app', { app: 'payments' }],
        ['by-labels', { team: 'payments', component: 'api' }],
        ['by-host', { host: 'pay-2.example.com' }],
        ['by-instance', { instance: 'pay-1:9100' }],
      ] as const) {
        expect(answer.maintenance.silences, fingerprint).toContain((await fire(fingerprint, labels, start + 10 * MIN)).suppressed_by);
      }
      expect((await fire('other-service', { service: 'checkout' }, start + 10 * MIN)).suppressed_by).toBeNull();
      expect((await fire('labelled-elsewhere', { service: 'checkout', team: 'payments', component: 'api' }, start + 10 * MIN)).suppressed_by).toBeNull();
      expect((await fire('other-host', { host: 'pay-10' }, start + 10 * MIN)).suppressed_by).toBeNull();
      // After: correlated again.
      expect((await fire('after', { service: 'payments' }, start + 61 * MIN)).suppressed_by).toBeNull();
    });

    it('refuses a window that is over already, or ends before it starts', async () => {
      const past = await s.request('POST', '/api/v1/changes', { token: s.tokens.write, json: { service: 'payments', summary: 'x', kind: 'config', startedAt: iso(T0 - 120 * MIN), finishedAt: iso(T0 - 60 * MIN), maintenance: true } });
      expect(past.status).toBe(400);
      expect(((await past.json()) as any).error).toMatchObject({ message: 'finishedAt: is in the past: the maintenance window would never be active', details: { field: 'finishedAt' } });
      const backwards = await s.request('POST', '/api/v1/changes', { token: s.tokens.write, json: { service: 'payments', summary: 'x', kind: 'config', startedAt: iso(T0 + 120 * MIN), finishedAt: iso(T0 + 60 * MIN) } });
      expect(((await backwards.json()) as any).error.message).toBe('finishedAt: must not be before startedAt');
    });
  });
});
