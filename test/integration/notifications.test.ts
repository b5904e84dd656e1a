import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendTimeline } from '../../server/src/db/incidents-repo.js';
import { notificationRoutes } from '../../server/src/http/routes/notifications.js';
import type { AppEnv } from '../../server/src/http/env.js';
import { createNotifier, type Notifier } from '../../server/src/services/notifications.js';
import { createAuthenticator } from '../../server/src/services/tokens.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { freePort } from '../helpers/postgres.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const SEC = 1000;
const MIN = 60_000;
const SECRET = 'a-shared-secret-of-some-length';
const iso = (ms: number) => new Date(ms).toISOString();

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

type Reply = { status: number; headers?: Record<string, string>; delayMs?: number };

/** A webhook receiver on a loopback port that records requests and answers as told. */
async function startReceiver() {
  const received: Received[] = [];
  const replies: Reply[] = [];
  let answered = 0;
  let fallback: Reply = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) });
      // Only /hook follows the script; /slack always accepts.
      const reply = req.url === '/hook' ? (replies.shift() ?? fallback) : { status: 200 };
      const answer = () => {
        if (res.destroyed) return;
        if (req.url === '/hook') answered++;
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.status >= 400 ? 'receiver says no' : 'ok');
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** How many requests to /hook got their answer so far. */
    get answered() {
      return answered;
    },
    /** Answers for the next requests to /hook, in order; then `fallback`. */
    script(...next: Reply[]) {
      replies.push(...next);
    },
    setFallback(reply: Reply) {
      fallback = reply;
    },
    reset() {
      received.length = 0;
      replies.length = 0;
      fallback = { status: 200 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function webhookYaml(hookUrl: string, slackUrl: string, extra = '') {
  return `
notifications:
  timeout: 5s
  maxAttempts: 3
  minBackoff: 10s
  maxBackoff: 1m
  webhooks:
    - name: ops
      url: ${hookUrl}
      secret: ${SECRET}
      headers:
        X-Team: sre
    - name: chat
      url: ${slackUrl}
      format: slack
      events: [opened, resolved, merged]
${extra}`;
}

describe.each(dialects())('notifications on %s', (dialect) => {
  let s: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let notifier: Notifier;
  let api: Hono<AppEnv>;

  beforeAll(async () => {
    receiver = await startReceiver();
    s = await startTestServer(dialect, {}, webhookYaml(`${receiver.url}/hook`, `${receiver.url}/slack`));
    // random() = 0: each retry waits exactly the exponential base.
    notifier = createNotifier(s.runtime.config.notifications, s.runtime.handle, s.clock, s.runtime.log, { random: () => 0, publicUrl: 'https://sightline.example.com' });
    api = new Hono<AppEnv>().route('/', notificationRoutes({ handle: s.runtime.handle, authenticator: createAuthenticator(s.runtime.handle.db, s.clock, null) }));
    await notifier.drain(); // places the cursor at the (empty) end of the timeline
  });
  afterAll(async () => {
    await notifier?.stop();
    await s?.close();
    await receiver?.close();
  });
  afterEach(() => receiver.reset());

  async function fire(service: string, at: number, overrides: Record<string, unknown> = {}) {
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: { alerts: [makeNativeAlert({ labels: { alertname: 'Down', service, severity: 'critical' }, annotations: { summary: `${service} is down` }, startsAt: iso(at), ...overrides })] },
    });
    expect(res.status).toBe(200);
    await s.settle();
    const incident = await s.runtime.handle.db.selectFrom('incidents').selectAll().where('service', '=', service).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return incident;
  }
  async function deliveries(incidentId: number, token = s.tokens.read) {
    const res = await api.request(`/api/v1/incidents/${incidentId}/notifications`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).items as any[];
  }
  async function timelineId(incidentId: number, kind: string) {
    const row = await s.runtime.handle.db.selectFrom('incident_timeline').select('id').where('incident_id', '=', incidentId).where('kind', '=', kind).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return row.id;
  }
  const hooks = () => receiver.received.filter((r) => r.path === '/hook');

  it('sends an opened incident once to each subscribed webhook, signed, with an idempotency key', async () => {
    s.clock.set(T0);
    const incident = await fire('checkout', T0);
    await notifier.drain();
    await notifier.drain(); // a second pass sends nothing more
    const [hook] = hooks();
    expect(hooks()).toHaveLength(1);
    const key = `ops:${await timelineId(incident.id, 'opened')}`;
    expect(hook!.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': key,
      'x-sightline-event': 'opened',
      'x-team': 'sre',
      'x-sightline-signature': `sha256=${createHmac('sha256', SECRET).update(hook!.body).digest('hex')}`,
    });
    expect(hook!.json).toEqual({
      event: 'opened',
      idempotencyKey: key,
      at: iso(T0),
      actor: 'sightline',
      message: 'Opened by Down: checkout is down',
      incident: {
        id: incident.id,
        title: 'Down: checkout is down',
        status: 'open',
        priority: incident.priority,
        impact: incident.impact,
        urgency: 'high',
        service: 'checkout',
        host: null,
        rootCauseService: 'checkout',
        assignee: null,
        alertCount: 1,
        firingCount: 1,
        openedAt: iso(T0),
        acknowledgedAt: null,
        resolvedAt: null,
        url: `https://sightline.example.com/ui/incidents/${incident.id}`,
        apiUrl: `https://sightline.example.com/api/v1/incidents/${incident.id}`,
      },
    });

    // The Slack-format webhook: a short message, no signature (no secret configured).
    const slack = receiver.received.filter((r) => r.path === '/slack');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.headers['x-sightline-signature']).toBeUndefined();
    expect(slack[0]!.headers['idempotency-key']).toBe(`chat:${await timelineId(incident.id, 'opened')}`);
    expect(slack[0]!.json.text).toBe(`[${incident.priority}] Incident #${incident.id} opened: Down: checkout is down https://sightline.example.com/ui/incidents/${incident.id}`);
    expect(slack[0]!.json.blocks[1].fields.map((f: any) => f.text)).toEqual([`*Priority:* ${incident.priority}`, '*Status:* open', '*Service:* checkout']);

    const items = await deliveries(incident.id);
    expect(items.map((d) => [d.webhook, d.event, d.state, d.attempts, d.lastStatus])).toEqual([
      ['ops', 'opened', 'delivered', 1, 200],
      ['chat', 'opened', 'delivered', 1, 200],
    ]);
    expect(items[0]).toMatchObject({ idempotencyKey: key, nextAttemptAt: null, lastError: null, deliveredAt: iso(T0) });
  });

  it('sends people’s acknowledge, priority change, resolve and reopen in order, and only subscribed events', async () => {
    s.clock.set(T0 + 10 * MIN);
    const incident = await fire('payments', T0 + 10 * MIN);
    await notifier.drain();
    const act = async (action: string, json?: unknown) => expect((await s.request('POST', `/api/v1/incidents/${incident.id}/${action}`, { token: s.tokens.write, json })).status).toBe(200);
    const patch = async (json: unknown) => expect((await s.request('PATCH', `/api/v1/incidents/${incident.id}`, { token: s.tokens.write, json })).status).toBe(200);
    s.clock.set(T0 + 12 * MIN);
    await act('acknowledge');
    await patch({ priority: 'P1' });
    await patch({ priority: 'P1' }); // unchanged: no notification
    await patch({ assignee: 'ann' }); // not a notifiable change
    await act('hold');
    await act('resume'); // back to acknowledged, but not a new acknowledgement
    await act('resolve', { force: true }); // its alert still fires
    await act('reopen');
    await notifier.drain();
    expect(hooks().map((r) => r.json.event)).toEqual(['opened', 'acknowledged', 'priority_changed', 'resolved', 'reopened']);
    const change = hooks()[2]!.json;
    expect(change).toMatchObject({ previousPriority: incident.priority, incident: { priority: 'P1' } });
    expect(hooks()[1]!.json.actor).toBe('test-write');
    expect(receiver.received.filter((r) => r.path === '/slack').map((r) => r.json.text.split(':')[0])).toEqual([
      `[${incident.priority}] Incident #${incident.id} opened`,
      // Queued after the priority change, so the incident already says P1.
      `[P1] Incident #${incident.id} resolved`,
    ]);
    expect((await deliveries(incident.id)).every((d) => d.state === 'delivered')).toBe(true);
  });

  it('retries a 503 after a backoff and honours Retry-After, then delivers once', async () => {
    s.clock.set(T0 + 20 * MIN);
    receiver.script({ status: 503 }, { status: 429, headers: { 'Retry-After': '45' } });
    const incident = await fire('search', T0 + 20 * MIN);
    await notifier.drain();
    let [ops] = await deliveries(incident.id);
    expect(ops).toMatchObject({ webhook: 'ops', state: 'pending', attempts: 1, lastStatus: 503, lastError: 'HTTP 503: receiver says no', nextAttemptAt: iso(T0 + 20 * MIN + 10 * SEC) });

    s.clock.advance(9 * SEC);
    await notifier.drain();
    expect(hooks()).toHaveLength(1); // not due yet

    s.clock.advance(1 * SEC);
    await notifier.drain();
    [ops] = await deliveries(incident.id);
    // The second backoff would be 20 s; the receiver asked for 45.
    expect(ops).toMatchObject({ state: 'pending', attempts: 2, lastStatus: 429, nextAttemptAt: iso(T0 + 20 * MIN + 55 * SEC) });

    s.clock.advance(45 * SEC);
    await notifier.drain();
    await notifier.drain();
    [ops] = await deliveries(incident.id);
    expect(ops).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200, lastError: null, deliveredAt: iso(T0 + 20 * MIN + 55 * SEC) });
    expect(hooks()).toHaveLength(3);
    expect(new Set(hooks().map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(hooks().map((r) => r.body)).size).toBe(1);
  });

  it('gives up at once on a 400, and holds the incident’s later events behind a pending one', async () => {
    s.clock.set(T0 + 30 * MIN);
    receiver.script({ status: 400 });
    const rejected = await fire('reports', T0 + 30 * MIN);
    await notifier.drain();
    s.clock.advance(10 * MIN);
    await notifier.drain();
    expect(hooks()).toHaveLength(1);
    expect((await deliveries(rejected.id)).find((d) => d.webhook === 'ops')).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 400, nextAttemptAt: null });

    // Ordering: while "opened" waits for a retry, "acknowledged" is not sent ahead of it.
    receiver.reset();
    receiver.script({ status: 500 });
    const ordered = await fire('billing', s.clock.now());
    await notifier.drain();
    expect((await s.request('POST', `/api/v1/incidents/${ordered.id}/acknowledge`, { token: s.tokens.write })).status).toBe(200);
    await notifier.drain();
    expect(hooks().map((r) => r.json.event)).toEqual(['opened']);
    s.clock.advance(10 * SEC);
    await notifier.drain();
    expect(hooks().map((r) => r.json.event)).toEqual(['opened', 'opened', 'acknowledged']);
  });

  it('does not send what an incident merged into its cause’s incident had not sent yet', async () => {
    for (const [name, body] of [
      ['merge-db', { tier: 1 }],
      ['merge-api', { tier: 2, dependsOn: ['merge-db'] }],
      ['merge-worker', { tier: 2, dependsOn: ['merge-db'] }],
    ] as const) {
      expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status).toBe(200);
    }
    const t = T0 + 45 * MIN;
    s.clock.set(t + MIN);
    // Two symptoms open incidents before their cause's alert comes, which merges the first in.
    const symptom = await fire('merge-api', t);
    const other = await fire('merge-worker', t + 20 * SEC);
    const cause = { labels: { alertname: 'Down', service: 'merge-db', severity: 'critical' }, annotations: { summary: 'merge-db is down' }, startsAt: iso(t + MIN) };
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [cause] } })).status).toBe(200);
    await s.settle();
    expect((await s.runtime.handle.db.selectFrom('incidents').select(['status', 'resolution']).where('id', '=', symptom.id).executeTakeFirstOrThrow())).toEqual({
      status: 'cancelled',
      resolution: `merged into #${other.id}`,
    });
    await notifier.drain();
    // Only the surviving incident notifies (the tier-1 cause raised its priority).
    expect(hooks().map((r) => [r.json.event, r.json.incident.id])).toEqual([
      ['opened', other.id],
      ['priority_changed', other.id],
    ]);
    // Nobody was told about it, so nobody is told it was merged away.
    expect((await deliveries(symptom.id)).map((d) => [d.webhook, d.event, d.state, d.lastError])).toEqual([
      ['ops', 'opened', 'suppressed', `not sent: the incident was merged into #${other.id}`],
      ['chat', 'opened', 'suppressed', `not sent: the incident was merged into #${other.id}`],
      ['ops', 'merged', 'suppressed', `not sent: nothing was sent about this incident before it was merged into #${other.id}`],
      ['chat', 'merged', 'suppressed', `not sent: nothing was sent about this incident before it was merged into #${other.id}`],
    ]);
  });

  it('tells that a symptom incident already paged was merged into its cause’s incident', async () => {
    for (const [name, body] of [
      ['told-db', { tier: 1 }],
      ['told-api', { tier: 2, dependsOn: ['told-db'] }],
      ['told-worker', { tier: 2, dependsOn: ['told-db'] }],
    ] as const) {
      expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status).toBe(200);
    }
    const t = T0 + 50 * MIN;
    s.clock.set(t + MIN);
    const symptom = await fire('told-api', t);
    const other = await fire('told-worker', t + 20 * SEC);
    await notifier.drain();
    const cause = { labels: { alertname: 'Down', service: 'told-db', severity: 'critical' }, annotations: { summary: 'told-db is down' }, startsAt: iso(t + MIN) };
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [cause] } })).status).toBe(200);
    await s.settle();
    await notifier.drain();
    const merged = hooks().filter((r) => r.json.event === 'merged');
    expect(merged.map((r) => [r.json.incident.id, r.json.mergedInto, r.json.actor])).toEqual([
      [symptom.id, { id: other.id, url: `https://sightline.example.com/ui/incidents/${other.id}` }, 'sightline'],
    ]);
    expect((await deliveries(symptom.id)).map((d) => [d.webhook, d.event, d.state])).toEqual([
      ['ops', 'opened', 'delivered'],
      ['chat', 'opened', 'delivered'],
      ['ops', 'merged', 'delivered'],
      ['chat', 'merged', 'delivered'],
    ]);
  });

  it.each([
    {
      when: 'after its opened was delivered',
      before: 'delivered',
      minute: 90,
      expected: [
        ['ops', 'opened', 'delivered'],
        ['chat', 'opened', 'delivered'],
        ['ops', 'merged', 'delivered'],
        ['chat', 'merged', 'delivered'],
      ],
    },
    {
      // A request went out: the receiver may have taken it even though it answered 503.
      when: 'while its opened waited for a retry',
      before: 'retrying',
      minute: 95,
      expected: [
        ['ops', 'opened', 'suppressed'],
        ['chat', 'opened', 'delivered'],
        ['ops', 'merged', 'delivered'],
        ['chat', 'merged', 'delivered'],
      ],
    },
    {
      when: 'before anything was sent about it',
      before: 'nothing',
      minute: 100,
      expected: [
        ['ops', 'opened', 'suppressed'],
        ['chat', 'opened', 'suppressed'],
        ['ops', 'merged', 'suppressed'],
        ['chat', 'merged', 'suppressed'],
      ],
    },
  ] as const)('tells a merge by hand $when only to webhooks that may know the incident', async ({ before, minute, expected }) => {
    const t = T0 + minute * MIN;
    s.clock.set(t);
    const absorbed = await fire(`absorbed-${before}`, t, { labels: { alertname: `Absorbed-${before}`, service: `absorbed-${before}`, severity: 'critical' } });
    if (before === 'retrying') receiver.script({ status: 503 });
    if (before !== 'nothing') await notifier.drain();
    const survivor = await fire(`survivor-${before}`, t, { labels: { alertname: `Survivor-${before}`, service: `survivor-${before}`, severity: 'critical' } });
    expect(survivor.id).not.toBe(absorbed.id);
    const sentBefore = receiver.received.length;
    s.clock.advance(SEC);
    expect((await s.request('POST', `/api/v1/incidents/${absorbed.id}/merge`, { token: s.tokens.write, json: { into: survivor.id } })).status).toBe(200);
    await notifier.drain();
    s.clock.advance(MIN); // past any retry: a suppressed opened stays unsent
    await notifier.drain();
    await notifier.drain();

    expect((await deliveries(absorbed.id)).map((d) => [d.webhook, d.event, d.state])).toEqual(expected);
    const after = receiver.received.slice(sentBefore);
    if (before === 'nothing') {
      expect(after.filter((r) => r.path === '/hook').map((r) => [r.json.event, r.json.incident.id])).toEqual([['opened', survivor.id]]);
      expect(after.filter((r) => r.path === '/slack').map((r) => r.json.text.split(':')[0])).toEqual([`[${survivor.priority}] Incident #${survivor.id} opened`]);
      return;
    }
    // The surviving incident's own `merged` entry (`from`) is not an event.
    expect(after.filter((r) => r.path === '/hook').map((r) => [r.json.event, r.json.incident.id])).toEqual([
      ['opened', survivor.id],
      ['merged', absorbed.id],
    ]);
    const key = `ops:${await timelineId(absorbed.id, 'merged')}`;
    const hook = after.find((r) => r.path === '/hook' && r.json.event === 'merged');
    expect(hook!.headers).toMatchObject({ 'x-sightline-event': 'merged', 'idempotency-key': key });
    expect(hook!.json).toMatchObject({
      event: 'merged',
      idempotencyKey: key,
      actor: 'test-write',
      message: `Merged into #${survivor.id} by test-write (1 alert(s) moved)`,
      mergedInto: { id: survivor.id, url: `https://sightline.example.com/ui/incidents/${survivor.id}` },
      incident: { id: absorbed.id, status: 'cancelled', url: `https://sightline.example.com/ui/incidents/${absorbed.id}` },
    });
    expect(after.filter((r) => r.path === '/slack').map((r) => r.json.text)).toEqual([
      `[${survivor.priority}] Incident #${survivor.id} opened: ${survivor.title} https://sightline.example.com/ui/incidents/${survivor.id}`,
      `[${absorbed.priority}] Incident #${absorbed.id} merged into #${survivor.id}: ${absorbed.title} https://sightline.example.com/ui/incidents/${survivor.id}`,
    ]);
  });

  it('keeps ingest quick while a receiver hangs, and retries what a stop interrupted', async () => {
    s.clock.set(T0 + 60 * MIN);
    // The receiver holds its answer far longer than the test runs: ingest must not wait for it.
    receiver.setFallback({ status: 200, delayMs: 60_000 });
    const first = await fire('slowpoke', T0 + 60 * MIN);
    notifier.start(10);
    await vi.waitFor(() => expect(hooks()).toHaveLength(1)); // the request to /hook is now in flight
    const answeredBefore = receiver.answered;
    for (let i = 0; i < 5; i++) await fire(`slowpoke-${i}`, T0 + 60 * MIN);
    // Every alert was stored and correlated while the delivery was still unanswered.
    expect(receiver.answered).toBe(answeredBefore);
    expect((await deliveries(first.id)).find((d) => d.webhook === 'ops')).toMatchObject({ state: 'pending', attempts: 1 });
    await notifier.stop();
    const interrupted = (await deliveries(first.id)).find((d) => d.webhook === 'ops');
    expect(interrupted).toMatchObject({ state: 'pending', attempts: 1, lastError: 'interrupted: the server was stopping' });

    receiver.setFallback({ status: 200 });
    s.clock.advance(MIN);
    await notifier.drain();
    expect((await deliveries(first.id)).find((d) => d.webhook === 'ops')).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('answers 404 for an unknown incident and needs a read token', async () => {
    expect((await api.request('/api/v1/incidents/999999/notifications', { headers: { authorization: `Bearer ${s.tokens.read}` } })).status).toBe(404);
    expect((await api.request('/api/v1/incidents/1/notifications')).status).toBe(401);
    expect((await api.request('/api/v1/incidents/1/notifications', { headers: { authorization: `Bearer ${s.tokens.ingest}` } })).status).toBe(403);
  });

  // Only PostgreSQL can commit a lower timeline id after a higher one; SQLite commits in order.
  if (dialect === 'postgres') it('picks up a timeline entry whose transaction commits after a later one', async () => {
    s.clock.set(T0 + 120 * MIN);
    const incident = await fire('latecomer', T0 + 120 * MIN);
    await notifier.drain();
    receiver.reset();
    // Hold a transaction that took a timeline id, while a later id commits and is dispatched.
    let release!: () => void;
    let taken!: () => void;
    const idTaken = new Promise<void>((r) => (taken = r));
    const held = s.runtime.handle.db.transaction().execute(async (trx) => {
      await appendTimeline(trx, { incidentId: incident.id, at: s.clock.now(), kind: 'reopened', actor: 'sightline', message: 'Reopened late', data: null });
      taken();
      await new Promise<void>((r) => (release = r));
    });
    await idTaken;
    try {
      expect((await s.request('POST', `/api/v1/incidents/${incident.id}/acknowledge`, { token: s.tokens.write })).status).toBe(200);
      await notifier.drain();
      expect(hooks().map((r) => r.json.event)).toEqual(['acknowledged']);
      const cursor = await s.runtime.handle.db.selectFrom('notification_cursor').selectAll().executeTakeFirstOrThrow();
      expect(JSON.parse(cursor.gaps)).toHaveLength(1);
    } finally {
      release();
      await held;
    }
    await notifier.drain();
    expect(hooks().map((r) => r.json.event)).toEqual(['acknowledged', 'reopened']);
    const after = await s.runtime.handle.db.selectFrom('notification_cursor').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(after.gaps)).toEqual([]);
  });
});

describe.each(dialects())('a dead receiver on %s', (dialect) => {
  let s: TestServer;
  let notifier: Notifier;
  beforeAll(async () => {
    const port = await freePort(); // nothing listens there
    s = await startTestServer(dialect, {}, `
notifications:
  timeout: 1s
  maxAttempts: 3
  minBackoff: 5s
  maxBackoff: 20s
  webhooks:
    - name: gone
      url: http://127.0.0.1:${port}/hook
`);
    notifier = createNotifier(s.runtime.config.notifications, s.runtime.handle, s.clock, s.runtime.log, { random: () => 0 });
    await notifier.drain();
  });
  afterAll(async () => {
    await notifier?.stop();
    await s?.close();
  });

  it('keeps ingest answering, and ends failed after maxAttempts', async () => {
    s.clock.set(T0);
    notifier.start(10);
    const alerts = Array.from({ length: 50 }, (_, i) =>
      makeNativeAlert({ labels: { alertname: `Down${i}`, service: `svc-${i}`, severity: 'critical' }, startsAt: iso(T0) }),
    );
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
    await notifier.stop();

    await notifier.drain();
    for (const wait of [5, 10]) {
      s.clock.advance(wait * SEC);
      await notifier.drain();
    }
    const rows = await s.runtime.handle.db.selectFrom('notification_outbox').selectAll().execute();
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      expect(row).toMatchObject({ state: 'failed', attempts: 3, next_attempt_at: null, last_status: null });
      expect(row.last_error).toMatch(/^network error: ECONNREFUSED/);
    }
  });
});

describe.each(dialects())('a webhook removed from the configuration on %s', (dialect) => {
  let s: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    const port = await freePort(); // nothing listens there
    s = await startTestServer(dialect, {}, `
notifications:
  timeout: 1s
  maxAttempts: 5
  minBackoff: 5s
  maxBackoff: 20s
  webhooks:
    - { name: kept, url: "${receiver.url}/slack" }
    - { name: dropped, url: "http://127.0.0.1:${port}/hook" }
`);
  });
  afterAll(async () => {
    await s?.close();
    await receiver?.close();
  });

  it('fails its pending deliveries once, visibly, instead of keeping them pending for ever', async () => {
    const before = createNotifier(s.runtime.config.notifications, s.runtime.handle, s.clock, s.runtime.log, { random: () => 0 });
    await before.drain();
    s.clock.set(T0);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ startsAt: iso(T0) })] } })).status).toBe(200);
    await s.settle();
    await before.drain();
    await before.stop();
    const rows = () => s.runtime.handle.db.selectFrom('notification_outbox').selectAll().orderBy('webhook').execute();
    expect((await rows()).map((r) => [r.webhook, r.state, r.attempts])).toEqual([
      ['dropped', 'pending', 1],
      ['kept', 'delivered', 1],
    ]);

    // The server restarts with `dropped` gone from its configuration.
    const config = { ...s.runtime.config.notifications, webhooks: s.runtime.config.notifications.webhooks.filter((w) => w.name !== 'dropped') };
    const after = createNotifier(config, s.runtime.handle, s.clock, s.runtime.log, { random: () => 0 });
    s.clock.advance(MIN);
    await after.drain();
    for (let i = 0; i < 3; i++) {
      s.clock.advance(MIN);
      await after.drain();
    }
    await after.stop();
    const [dropped, kept] = await rows();
    expect(dropped).toMatchObject({ state: 'failed', attempts: 1, next_attempt_at: null, last_error: 'not sent: webhook dropped is no longer in the configuration' });
    expect(kept).toMatchObject({ state: 'delivered', attempts: 1 });
    const incidentId = dropped!.incident_id;
    const api = new Hono<AppEnv>().route('/', notificationRoutes({ handle: s.runtime.handle, authenticator: createAuthenticator(s.runtime.handle.db, s.clock, null) }));
    const res = await api.request(`/api/v1/incidents/${incidentId}/notifications`, { headers: { authorization: `Bearer ${s.tokens.read}` } });
    expect(((await res.json()) as any).items.find((d: any) => d.webhook === 'dropped')).toMatchObject({ state: 'failed', nextAttemptAt: null, lastError: 'not sent: webhook dropped is no longer in the configuration' });
  });
});
