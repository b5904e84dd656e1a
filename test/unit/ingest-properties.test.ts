/**
 * Property-based tests of every ingest schema and parser (fast-check): arbitrary and
 * mutated inputs never throw and always give a consistent answer (every alert of a batch
 * is either an event or named in an issue); valid inputs round-trip to the events they
 * describe. Seeds are the captured payloads and the hand-written ones in `test/fuzz/seeds.ts`.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Heartbeat as AgentHeartbeat } from '../../agent/src/contract.js';
import { extractCapacityObservations } from '../../server/src/capacity/observations.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { HeartbeatBody } from '../../server/src/http/routes/agents.js';
import { parseAlertmanagerV2 } from '../../server/src/ingest/alertmanager-v2.js';
import { parseWebhook } from '../../server/src/ingest/alertmanager-webhook.js';
import type { ParsedBatch } from '../../server/src/ingest/batch.js';
import { fingerprintLabels } from '../../server/src/ingest/fingerprint.js';
import { verifyGrafanaSignature } from '../../server/src/ingest/grafana-signature.js';
import { parseNative } from '../../server/src/ingest/native.js';
import { OtlpMetricsRequest } from '../../server/src/ingest/otlp-metrics.js';
import { parsePagerDuty } from '../../server/src/ingest/pagerduty.js';
import { HEARTBEAT_SEED, ingestSeeds, OTLP_SEED, pathsOf, replaceAt } from '../fuzz/seeds.js';

const NOW = Date.parse('2026-11-21T04:45:00.000Z');
const RESOLVE_TIMEOUT = 5 * 60_000;
const RUNS = { numRuns: 300 };

const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: fc.constantFrom('grapheme', 'binary') as never });
const anyValue = fc.oneof(anyJson, fc.string({ unit: 'binary' }), fc.double(), fc.integer(), fc.constant(undefined));

/** A seed with one value replaced by anything, or removed. */
function mutated(bases: unknown[]): fc.Arbitrary<unknown> {
  const choices = bases.flatMap((base) => pathsOf(base).map((p) => [base, p] as const));
  return fc.tuple(fc.constantFrom(...choices), anyValue).map(([[base, p], value]) => replaceAt(base, p, value));
}
const seedsOf = (name: string) => ingestSeeds().find((s) => s.name === name)?.bodies ?? [];
const inputs = (name: string) => fc.oneof(anyJson, mutated(seedsOf(name)), fc.array(mutated(seedsOf(name)), { maxLength: 3 }));

/** What every batch answer must satisfy, whatever came in. */
function expectConsistent(batch: ParsedBatch, body: unknown, items: unknown[] | null) {
  if (batch.rejected) {
    expect(batch.events).toEqual([]);
    expect(batch.issues.length).toBeGreaterThan(0);
    return;
  }
  if (items) {
    // Every alert is an event, named by at least one issue, or repeated later in the batch.
    const named = new Set(batch.issues.map((i) => i.index));
    expect(batch.events.length + batch.merged + named.size, JSON.stringify(body).slice(0, 200)).toBe(items.length);
  }
  for (const e of batch.events) expectSensible(e);
}

function expectSensible(e: AlertEvent) {
  expect(Number.isFinite(e.startsAt)).toBe(true);
  expect(e.endsAt === null || Number.isFinite(e.endsAt)).toBe(true);
  expect(e.fingerprint.length).toBeGreaterThan(0);
  expect(['firing', 'resolved', 'acknowledged']).toContain(e.status);
  if (e.status === 'resolved') expect(e.endsAt).not.toBeNull();
  expect(Object.keys(e.labels).length).toBeGreaterThan(0);
  for (const v of [...Object.values(e.labels), ...Object.values(e.annotations)]) expect(typeof v).toBe('string');
}

// Valid inputs ------------------------------------------------------------------------

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
const labelValue = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
const labels = fc.dictionary(labelName, labelValue, { minKeys: 1, maxKeys: 6 });
const annotations = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 60 }), { maxKeys: 3 });
// Valid times lie within the accepted skew of now (a year back, an hour ahead), ends included.
const time = fc.integer({ min: NOW - 364 * 86_400_000, max: NOW - 86_400_000 });
const iso = (ms: number) => new Date(ms).toISOString();

describe('Alertmanager webhook v4 and Grafana', () => {
  it('never throws; every alert is an event or an issue', () => {
    fc.assert(
      fc.property(inputs('alertmanager webhook'), fc.constantFrom('alertmanager' as const, 'grafana' as const), (body, source) => {
        const batch = parseWebhook(body, source, NOW);
        const items = body && typeof body === 'object' && Array.isArray((body as any).alerts) ? ((body as any).alerts as unknown[]) : null;
        expectConsistent(batch, body, items);
        for (const e of batch.events) expect(e.source).toBe(source);
      }),
      RUNS,
    );
  });

  it('round-trips valid alerts: labels, annotations, status, times; fingerprint from the labels unless given', () => {
    const alert = fc.record({ labels, annotations, status: fc.constantFrom('firing', 'resolved'), startsAt: time, length: fc.integer({ min: 0, max: 86_400_000 }), fingerprint: fc.option(fc.stringMatching(/^[0-9a-f]{16}$/), { nil: undefined }) });
    fc.assert(
      fc.property(fc.uniqueArray(alert, { minLength: 1, maxLength: 20, selector: (a) => `${a.fingerprint ?? fingerprintLabels(a.labels)} ${a.status} ${a.startsAt}` }), (alerts) => {
        const body = {
          version: '4',
          status: 'firing',
          alerts: alerts.map((a) => ({
            status: a.status,
            labels: a.labels,
            annotations: a.annotations,
            startsAt: iso(a.startsAt),
            endsAt: a.status === 'resolved' ? iso(a.startsAt + a.length) : '0001-01-01T00:00:00Z',
            ...(a.fingerprint ? { fingerprint: a.fingerprint } : {}),
          })),
        };
        const batch = parseWebhook(body, 'alertmanager', NOW);
        expect(batch.issues).toEqual([]);
        expect(batch.events).toHaveLength(alerts.length);
        batch.events.forEach((e, i) => {
          const a = alerts[i]!;
          expect(e).toMatchObject({ source: 'alertmanager', status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt });
          expect(e.endsAt).toBe(a.status === 'resolved' ? a.startsAt + a.length : null);
          expect(e.fingerprint).toBe(a.fingerprint ?? fingerprintLabels(a.labels));
        });
        expect(parseWebhook(body, 'alertmanager', NOW)).toEqual(batch);
      }),
      RUNS,
    );
  });
});

describe('Alertmanager API v2 (Prometheus)', () => {
  it('never throws; every alert is an event or an issue; ends never precede starts', () => {
    fc.assert(
      fc.property(inputs('alertmanager api v2'), (body) => {
        const batch = parseAlertmanagerV2(body, NOW, RESOLVE_TIMEOUT);
        expectConsistent(batch, body, Array.isArray(body) ? body : null);
        for (const e of batch.events) expect(e.endsAt as number).toBeGreaterThanOrEqual(e.startsAt);
      }),
      RUNS,
    );
  });

  it('round-trips valid alerts: status from endsAt against now, a lease when endsAt is missing, fingerprint independent of label order', () => {
    const alert = fc.record({ labels, annotations, startsAt: fc.integer({ min: NOW - 86_400_000, max: NOW }), endsAt: fc.option(fc.integer({ min: NOW - 3_600_000, max: NOW + 3_600_000 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.uniqueArray(alert, { minLength: 1, maxLength: 20, selector: (a) => `${fingerprintLabels(a.labels)} ${a.startsAt}` }), (alerts) => {
        const usable = alerts.filter((a) => a.endsAt === undefined || a.endsAt >= a.startsAt);
        const body = usable.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: iso(a.startsAt), ...(a.endsAt !== undefined ? { endsAt: iso(a.endsAt) } : {}) }));
        const batch = parseAlertmanagerV2(body, NOW, RESOLVE_TIMEOUT);
        expect(batch.issues).toEqual([]);
        batch.events.forEach((e, i) => {
          const a = usable[i]!;
          const endsAt = a.endsAt ?? NOW + RESOLVE_TIMEOUT;
          expect(e).toMatchObject({ source: 'prometheus', labels: a.labels, startsAt: a.startsAt, endsAt, status: endsAt <= NOW ? 'resolved' : 'firing' });
          const reversed = Object.fromEntries(Object.entries(a.labels).reverse());
          expect(e.fingerprint).toBe(fingerprintLabels(reversed));
        });
      }),
      RUNS,
    );
  });
});

describe('native batch (scripts and the agent)', () => {
  it('never throws; every alert is an event or an issue; ends never precede starts', () => {
    fc.assert(
      fc.property(inputs('native batch'), (body) => {
        const batch = parseNative(body, NOW);
        const items = body && typeof body === 'object' && Array.isArray((body as any).alerts) ? ((body as any).alerts as unknown[]) : null;
        expectConsistent(batch, body, items);
        for (const e of batch.events) if (e.endsAt !== null) expect(e.endsAt).toBeGreaterThanOrEqual(e.startsAt);
      }),
      RUNS,
    );
  });

  it('round-trips alerts in the agent contract shape: firing stays open, resolved carries its end', () => {
    const alert = fc.record({ labels, annotations, status: fc.constantFrom('firing', 'resolved'), startsAt: time, length: fc.integer({ min: 0, max: 86_400_000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(alert, { minLength: 1, maxLength: 20, selector: (a) => `${fingerprintLabels(a.labels)} ${a.status} ${a.startsAt}` }), (alerts) => {
        const body = { alerts: alerts.map((a) => ({ labels: a.labels, annotations: a.annotations, status: a.status, startsAt: iso(a.startsAt), ...(a.status === 'resolved' ? { endsAt: iso(a.startsAt + a.length) } : {}) })) };
        const batch = parseNative(body, NOW);
        expect(batch.issues).toEqual([]);
        batch.events.forEach((e, i) => {
          const a = alerts[i]!;
          expect(e).toMatchObject({ source: 'api', status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.status === 'resolved' ? a.startsAt + a.length : null, fingerprint: fingerprintLabels(a.labels) });
        });
      }),
      RUNS,
    );
  });
});

describe('PagerDuty Events v2', () => {
  it('never throws; an accepted event is sensible and keyed by its dedup key', () => {
    fc.assert(
      fc.property(inputs('pagerduty events v2'), (body) => {
        const parsed = parsePagerDuty(body, NOW, () => 'generated-key');
        if (!parsed.ok) {
          expect(parsed.errors.length).toBeGreaterThan(0);
          return;
        }
        expect(parsed.event.fingerprint).toBe(parsed.dedupKey);
        if (parsed.event.status !== 'firing') expect(parsed.dedupKey).not.toBe('generated-key');
        if (parsed.event.status === 'resolved') expect(parsed.event.endsAt).toBe(NOW);
      }),
      RUNS,
    );
  });

  it('round-trips triggers and resolves: source → host, group → service, class → alertname', () => {
    const event = fc.record({
      summary: fc.string({ minLength: 1, maxLength: 100 }),
      source: fc.string({ minLength: 1, maxLength: 50 }),
      severity: fc.constantFrom('critical', 'error', 'warning', 'info'),
      group: fc.string({ minLength: 1, maxLength: 20 }),
      class: fc.string({ minLength: 1, maxLength: 20 }),
      dedup: fc.string({ minLength: 1, maxLength: 60 }),
      at: time,
    });
    fc.assert(
      fc.property(event, (p) => {
        const trigger = parsePagerDuty({ routing_key: 'k', event_action: 'trigger', dedup_key: p.dedup, payload: { summary: p.summary, source: p.source, severity: p.severity, group: p.group, class: p.class, timestamp: iso(p.at) } }, NOW, () => 'unused');
        expect(trigger.ok).toBe(true);
        if (!trigger.ok) return;
        expect(trigger.event).toMatchObject({ source: 'pagerduty', status: 'firing', fingerprint: p.dedup, startsAt: p.at, endsAt: null, labels: { alertname: p.class, host: p.source, service: p.group, severity: p.severity }, annotations: { summary: p.summary } });
        const resolve = parsePagerDuty({ routing_key: 'k', event_action: 'resolve', dedup_key: p.dedup }, NOW, () => 'unused');
        expect(resolve.ok && resolve.event).toMatchObject({ status: 'resolved', fingerprint: p.dedup, endsAt: NOW });
      }),
      RUNS,
    );
  });
});

describe('agent heartbeat', () => {
  it('never throws on arbitrary or mutated heartbeats', () => {
    fc.assert(
      fc.property(inputs('agent heartbeat'), (body) => {
        const parsed = HeartbeatBody.safeParse(body);
        if (parsed.success) {
          expect(Number.isFinite(parsed.data.sentAt)).toBe(true);
          expect(parsed.data.intervalSeconds).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('accepts every heartbeat the agent contract allows (bounded as the server stores them)', () => {
    const heartbeat = fc.record({
      agentId: fc.string({ minLength: 1, maxLength: 64 }),
      host: fc.string({ minLength: 1, maxLength: 64 }),
      intervalSeconds: fc.double({ min: 0.001, max: 86_400, noNaN: true }),
      firingAlerts: fc.integer({ min: 0, max: 1_000_000 }),
      sentAt: time,
      checks: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), success: fc.boolean() }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(heartbeat, (h) => {
        const body = {
          ...HEARTBEAT_SEED,
          ...h,
          sentAt: iso(h.sentAt),
          checks: h.checks.map((c) => ({ ...HEARTBEAT_SEED.checks[0], ...c })),
        };
        expect(AgentHeartbeat.safeParse(body).success).toBe(true);
        const parsed = HeartbeatBody.safeParse(body);
        expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
        if (parsed.success) expect(parsed.data).toMatchObject({ agentId: h.agentId, host: h.host, sentAt: h.sentAt, firingAlerts: h.firingAlerts });
      }),
      RUNS,
    );
  });
});

describe('OTLP metrics (JSON)', () => {
  it('never throws: schema then extraction; samples are utilisations in [0, 1]', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, mutated([OTLP_SEED])), (body) => {
        const parsed = OtlpMetricsRequest.safeParse(body);
        if (!parsed.success) return;
        const obs = extractCapacityObservations(parsed.data);
        expect(obs.rejected).toBeGreaterThanOrEqual(0);
        for (const sample of obs.samples) {
          expect(sample.value).toBeGreaterThanOrEqual(0);
          expect(sample.value).toBeLessThanOrEqual(1);
          expect(Number.isFinite(sample.at)).toBe(true);
        }
        for (const c of obs.counters) expect(Number.isFinite(c.value)).toBe(true);
      }),
      RUNS,
    );
  });

  it('round-trips filesystem used/free into the utilisation df shows, and memory utilisation as sent', () => {
    const point = fc.record({ used: fc.integer({ min: 0, max: 2 ** 50 }), free: fc.integer({ min: 1, max: 2 ** 50 }), memory: fc.double({ min: 0, max: 1, noNaN: true }), at: time, host: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/) });
    fc.assert(
      fc.property(point, (p) => {
        const nanos = String(BigInt(p.at) * 1_000_000n);
        let body = replaceAt(OTLP_SEED, ['resourceMetrics', 0, 'resource', 'attributes', 0, 'value', 'stringValue'], p.host);
        const points = ['resourceMetrics', 0, 'scopeMetrics', 0, 'metrics'];
        body = replaceAt(body, [...points, 0, 'sum', 'dataPoints', 0, 'asInt'], String(p.used));
        body = replaceAt(body, [...points, 0, 'sum', 'dataPoints', 1, 'asInt'], String(p.free));
        body = replaceAt(body, [...points, 1, 'gauge', 'dataPoints', 0, 'asDouble'], p.memory);
        for (const [m, kind, i] of [[0, 'sum', 0], [0, 'sum', 1], [1, 'gauge', 0], [2, 'sum', 0]] as const) body = replaceAt(body, [...points, m, kind, 'dataPoints', i, 'timeUnixNano'], nanos);
        const parsed = OtlpMetricsRequest.parse(body);
        const obs = extractCapacityObservations(parsed);
        expect(obs.rejected).toBe(0);
        const fs = obs.samples.find((s) => s.resource === 'filesystem');
        const mem = obs.samples.find((s) => s.resource === 'memory');
        expect(fs).toMatchObject({ host: p.host, mountpoint: '/', at: p.at });
        expect(fs?.value).toBeCloseTo(p.used / (p.used + p.free), 9);
        expect(mem).toMatchObject({ host: p.host, at: p.at });
        expect(mem?.value).toBeCloseTo(p.memory, 12);
        expect(obs.counters).toEqual([
          { host: p.host, name: 'cpu.total', at: p.at, value: 1234.5 },
          { host: p.host, name: 'cpu.idle', at: p.at, value: 1234.5 },
        ]);
      }),
      RUNS,
    );
  });
});

describe('Grafana webhook signature', () => {
  const config = { secret: 's3cret', timestampHeader: null, maxSkewMs: 300_000 };
  it('never throws on arbitrary headers and bodies, and accepts only the right signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.string({ unit: 'binary', maxLength: 80 }), { nil: undefined }), fc.nat(199), (body, header, flip) => {
        expect(() => verifyGrafanaSignature(config, body, (n) => (n === 'x-grafana-alerting-signature' ? header : undefined), NOW)).not.toThrow();
        const good = createHmac('sha256', config.secret).update(body).digest('hex');
        expect(verifyGrafanaSignature(config, body, (n) => (n === 'x-grafana-alerting-signature' ? good : undefined), NOW)).toEqual({ ok: true });
        if (body.length > 0) {
          const changed = Uint8Array.from(body);
          changed[flip % body.length] = (changed[flip % body.length]! + 1) % 256;
          expect(verifyGrafanaSignature(config, changed, (n) => (n === 'x-grafana-alerting-signature' ? good : undefined), NOW).ok).toBe(false);
        }
      }),
      RUNS,
    );
  });
});
