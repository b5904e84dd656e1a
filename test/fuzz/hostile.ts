/**
 * Hostile inputs found by probing earlier builds, replayed against a live server: each case
 * is a short sequence of requests, followed by a liveness probe — a fresh alert that must be
 * correlated (stored with an incident) within the probe's patience. A case "stalls" when
 * the probe times out or a request of the case takes longer than a slow client would wait;
 * a 5xx or a dead process is counted apart.
 *
 * The cases: a catastrophic-backtracking silence regex with the alert that triggers it,
 * patterns RE2 refuses, the same alert twice in one batch on every batch endpoint, silences
 * with absurd durations and times (the listing must still answer), oversized and too many
 * labels, timestamps from 1900, 1970, 9999 and without an offset, empty bodies on optional
 * body actions, an unknown PagerDuty routing key, invalid and cyclic service dependencies.
 * No vitest imports: `npm run fuzz` and the end-to-end test both drive it.
 */
import type { FuzzTarget } from './http-fuzz.js';

export interface HostileRequest {
  method: string;
  path: string;
  token: 'admin' | 'ingest' | 'read' | 'none';
  json?: unknown;
  /** A raw body instead of JSON (sent as is, with the given content type, if any). */
  raw?: string;
  contentType?: string;
  /** Status codes this request should get; anything else is reported (a 5xx always is). */
  expect?: number[];
}

export interface HostileCase {
  name: string;
  requests: (ctx: { target: FuzzTarget; incidentId: number | null }) => HostileRequest[];
}

export interface HostileResult {
  cases: number;
  requests: number;
  serverErrors: number;
  crashes: number;
  stalls: number;
  /** Answers other than the expected ones (not failures by themselves unless 5xx). */
  problems: string[];
}

/** A request slower than this is a stall: no endpoint should keep a client waiting this long. */
const SLOW_REQUEST_MS = 15_000;
/** How long a fresh alert may take to reach an incident after a case. */
const PROBE_PATIENCE_MS = 15_000;

const EVIL_NAME = `${'a'.repeat(32)}b`;
const now = () => new Date().toISOString();

function alertmanagerWebhook(alerts: unknown[]) {
  return { version: '4', groupKey: '{}:{alertname="Dup"}', truncatedAlerts: 0, status: 'firing', receiver: 'sightline', groupLabels: { alertname: 'Dup' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', alerts };
}

export function hostileCases(): HostileCase[] {
  const dupAlert = (n: string) => ({ status: 'firing', labels: { alertname: n, host: 'dup-1', severity: 'warning' }, annotations: { summary: 'x' }, startsAt: now(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus/graph', fingerprint: 'f00df00df00df00d' });
  const native = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ alerts: [{ labels, status: 'firing', startsAt: now(), ...extra }] });
  const silence = (extra: Record<string, unknown>) => ({ method: 'POST', path: '/api/v1/silences', token: 'admin' as const, json: { matchers: [{ name: 'alertname', value: 'Hostile', isRegex: false }], comment: 'hostile case', ...extra } });
  return [
    {
      name: 'catastrophic regex in a silence, then the alert that triggers it',
      requests: () => [
        { method: 'POST', path: '/api/v1/silences', token: 'admin', json: { matchers: [{ name: 'alertname', value: '(a+)+', isRegex: true }], duration: '1h', comment: 'only a' }, expect: [201] },
        { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: native({ alertname: EVIL_NAME, host: 'evil-1' }), expect: [200] },
        { method: 'POST', path: '/api/v2/alerts', token: 'ingest', json: [{ labels: { alertname: `${'a'.repeat(64)}!`, host: 'evil-2' }, startsAt: now() }], expect: [200] },
      ],
    },
    {
      name: 'patterns RE2 refuses',
      requests: () =>
        ['(a)\\1', '(?=a)', '(?<!a)b', '[', 'a{1001}'].map((value) => ({ method: 'POST', path: '/api/v1/silences', token: 'admin' as const, json: { matchers: [{ name: 'alertname', value, isRegex: true }], duration: '1h', comment: 'x' }, expect: [400] })),
    },
    {
      name: 'the same alert twice in one batch, on every batch endpoint',
      requests: () => [
        { method: 'POST', path: '/api/v1/alerts/alertmanager', token: 'ingest', json: alertmanagerWebhook([dupAlert('Dup'), { ...dupAlert('Dup'), annotations: { summary: 'last wins' } }]), expect: [200] },
        { method: 'POST', path: '/api/v1/alerts/grafana', token: 'ingest', json: { ...alertmanagerWebhook([dupAlert('DupG'), dupAlert('DupG')]), orgId: 1, state: 'alerting', title: '[FIRING:2]' }, expect: [200] },
        { method: 'POST', path: '/api/v2/alerts', token: 'ingest', json: [{ labels: { alertname: 'DupV2' } }, { labels: { alertname: 'DupV2' } }], expect: [200] },
        { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: { alerts: [{ labels: { alertname: 'DupN' }, status: 'firing' }, { labels: { alertname: 'DupN' }, status: 'resolved' }] }, expect: [200] },
      ],
    },
    {
      name: 'silences with absurd durations and times, then the listing',
      requests: () => [
        { ...silence({ duration: '99999999d' }), expect: [400] },
        { ...silence({ duration: '1e309h' }), expect: [400] },
        { ...silence({ duration: '-5m' }), expect: [400] },
        { ...silence({ duration: '10' }), expect: [400] },
        // The last representable instant is allowed (a silence "for ever"); the listing must cope.
        { ...silence({ endsAt: '9999-12-31T23:59:59Z' }), expect: [201] },
        { ...silence({ endsAt: '+010000-01-01T00:00:00Z' }), expect: [400] },
        { ...silence({ startsAt: '2026-12-07T12:00:00Z', endsAt: '2026-12-07T11:00:00Z' }), expect: [400] },
        { ...silence({ startsAt: '2026-12-07T12:00:00', duration: '1h' }), expect: [400] },
        { method: 'GET', path: '/api/v1/silences', token: 'read', expect: [200] },
      ],
    },
    {
      name: 'oversized labels and annotations, and too many labels',
      requests: () => [
        { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: native({ alertname: 'Big', blob: 'x'.repeat(1024 * 1024) }), expect: [400, 413] },
        { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: native({ alertname: 'BigAnnotation' }, { annotations: { description: 'y'.repeat(1024 * 1024) } }), expect: [400, 413] },
        { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: native({ alertname: 'ManyLabels', ...Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`l${i}`, 'v'])) }), expect: [400, 413] },
        { method: 'POST', path: '/api/v2/alerts', token: 'ingest', json: [{ labels: { alertname: 'BigV2', blob: 'z'.repeat(1024 * 1024) } }], expect: [400, 413] },
      ],
    },
    {
      name: 'timestamps from 1900, 1970, 9999 and without an offset',
      requests: () => [
        ...['1900-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T00:00:00Z', '2026-12-07T10:00:00'].map((startsAt) => ({ method: 'POST', path: '/api/v1/alerts', token: 'ingest' as const, json: native({ alertname: 'OddTime', at: startsAt }, { startsAt }), expect: [400] })),
        { method: 'POST', path: '/api/v2/alerts', token: 'ingest', json: [{ labels: { alertname: 'OddTimeV2' }, startsAt: '9999-12-31T00:00:00Z' }], expect: [400] },
        { method: 'GET', path: '/api/v1/stats?since=1900-01-01T00:00:00Z', token: 'read', expect: [200, 400] },
        { method: 'GET', path: '/api/v1/stats?since=2026-12-01T00:00:00', token: 'read', expect: [400] },
      ],
    },
    {
      name: 'empty bodies on actions whose body is optional',
      requests: ({ incidentId }) =>
        ['acknowledge', 'resolve'].map((action) => ({ method: 'POST', path: `/api/v1/incidents/${incidentId ?? 999_999}/${action}`, token: 'admin' as const, raw: '', expect: incidentId === null ? [404] : [200, 409] })),
    },
    {
      name: 'an unknown PagerDuty routing key',
      requests: () => [{ method: 'POST', path: '/v2/enqueue', token: 'none', json: { routing_key: 'no-such-key-0123456789abcdef', event_action: 'trigger', payload: { summary: 'x', source: 'h', severity: 'error' } }, expect: [400] }],
    },
    {
      name: 'invalid and cyclic service dependencies',
      requests: () => [
        { method: 'PUT', path: '/api/v1/services/hostile-a', token: 'admin', json: { dependsOn: ['hostile-b'] }, expect: [200] },
        { method: 'PUT', path: '/api/v1/services/hostile-b', token: 'admin', json: { dependsOn: ['hostile-a'] }, expect: [200] },
        { method: 'PUT', path: '/api/v1/services/hostile-c', token: 'admin', json: { dependsOn: ['not a name!', ''] }, expect: [400] },
        { method: 'GET', path: '/api/v1/services', token: 'read', expect: [200] },
      ],
    },
  ];
}

function tokenOf(target: FuzzTarget, which: HostileRequest['token']): string | null {
  return which === 'admin' ? target.adminToken : which === 'ingest' ? target.ingestToken : which === 'read' ? target.readToken : null;
}

async function send(target: FuzzTarget, r: HostileRequest): Promise<{ status: number | string; ms: number; body: string }> {
  const started = Date.now();
  const token = tokenOf(target, r.token);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (r.raw !== undefined) {
    body = r.raw;
    if (r.contentType) headers['content-type'] = r.contentType;
  } else if (r.json !== undefined) {
    body = JSON.stringify(r.json);
    headers['content-type'] = 'application/json';
  }
  try {
    const res = await fetch(target.url + r.path, { method: r.method, headers, body, signal: AbortSignal.timeout(SLOW_REQUEST_MS * 2) });
    const text = await res.text();
    return { status: res.status, ms: Date.now() - started, body: text.slice(0, 300) };
  } catch (error) {
    return { status: `client error ${(error as Error).name}`, ms: Date.now() - started, body: (error as Error).message.slice(0, 200) };
  }
}

/** A fresh alert must reach an incident: correlation still runs after the case. */
async function probe(target: FuzzTarget, n: number): Promise<boolean> {
  const alertname = `FuzzProbe${n}x${Date.now().toString(36)}`;
  const sent = await send(target, { method: 'POST', path: '/api/v1/alerts', token: 'ingest', json: { alerts: [{ labels: { alertname, host: `probe-${n}` }, status: 'firing' }] } });
  if (sent.status !== 200) return false;
  const deadline = Date.now() + PROBE_PATIENCE_MS;
  while (Date.now() < deadline) {
    const res = await fetch(`${target.url}/api/v1/alerts?status=firing&limit=50`, { headers: { authorization: `Bearer ${target.readToken}` }, signal: AbortSignal.timeout(PROBE_PATIENCE_MS) }).catch(() => null);
    if (res?.status === 200) {
      const { items } = (await res.json()) as { items: { labels: Record<string, string>; incidentId: number | null }[] };
      if (items.some((a) => a.labels.alertname === alertname && a.incidentId !== null)) return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export async function runHostileCases(target: FuzzTarget, onProgress?: (line: string) => void): Promise<HostileResult> {
  const result: HostileResult = { cases: 0, requests: 0, serverErrors: 0, crashes: 0, stalls: 0, problems: [] };
  // An incident to act on: the probe before the first case makes one.
  if (!(await probe(target, 0))) {
    result.stalls++;
    result.problems.push('before any case: a fresh alert did not reach an incident');
  }
  const incidents = await fetch(`${target.url}/api/v1/incidents?limit=1`, { headers: { authorization: `Bearer ${target.readToken}` } }).then((r) => r.json() as Promise<{ items: { id: number }[] }>).catch(() => ({ items: [] }));
  const incidentId = incidents.items[0]?.id ?? null;

  for (const [i, c] of hostileCases().entries()) {
    result.cases++;
    onProgress?.(`hostile case ${i + 1}: ${c.name}`);
    for (const r of c.requests({ target, incidentId })) {
      result.requests++;
      const { status, ms, body } = await send(target, r);
      const where = `${c.name}: ${r.method} ${r.path.slice(0, 80)}`;
      if (!target.alive()) {
        result.crashes++;
        result.problems.push(`${where} → the process died`);
        return result;
      }
      if (typeof status === 'number' && status >= 500) {
        result.serverErrors++;
        result.problems.push(`${where} → ${status} ${body}`);
      } else if (typeof status === 'string' || ms > SLOW_REQUEST_MS) {
        result.stalls++;
        result.problems.push(`${where} → ${status} after ${ms} ms`);
      } else if (r.expect && !r.expect.includes(status)) {
        result.problems.push(`${where} → ${status} (expected ${r.expect.join(' or ')}) ${body}`);
      }
    }
    if (!(await probe(target, i + 1))) {
      result.stalls++;
      result.problems.push(`${c.name}: afterwards a fresh alert did not reach an incident within ${PROBE_PATIENCE_MS / 1000} s`);
    }
  }
  return result;
}
