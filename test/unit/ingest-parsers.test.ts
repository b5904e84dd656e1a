import { describe, expect, it } from 'vitest';
import { parseAlertmanagerV2 } from '../../server/src/ingest/alertmanager-v2.js';
import { parseWebhook } from '../../server/src/ingest/alertmanager-webhook.js';
import { parseNative } from '../../server/src/ingest/native.js';
import { parsePagerDuty } from '../../server/src/ingest/pagerduty.js';
import { verifyGrafanaSignature } from '../../server/src/ingest/grafana-signature.js';
import { createHmac } from 'node:crypto';
import { captured } from '../helpers/fixtures.js';

const NOW = Date.parse('2026-11-21T04:45:00.000Z');
const MIN = 60_000;

describe('Alertmanager webhook v4', () => {
  it('parses a captured firing notification', () => {
    const batch = parseWebhook(captured('alertmanager-0.25-webhook-firing-DiskWillFillIn4Hours.json').body, 'alertmanager', NOW);
    expect(batch.issues).toEqual([]);
    expect(batch.events).toEqual([
      {
        source: 'alertmanager',
        fingerprint: '4fdda2f799d95d5d',
        status: 'firing',
        labels: { alertname: 'DiskWillFillIn4Hours', instance: 'db-1:9100', service: 'payments', severity: 'critical' },
        annotations: { summary: 'Disk is predicted to fill within 4 hours' },
        startsAt: Date.parse('2026-11-21T04:41:25.568Z'),
        endsAt: null, // Go's zero time
        generatorUrl: expect.stringContaining('http://vm:19090/graph'),
      },
    ]);
  });

  it('parses a captured resolved notification with its end time', () => {
    const [event] = parseWebhook(captured('alertmanager-0.25-webhook-resolved-DiskWillFillIn4Hours.json').body, 'alertmanager', NOW).events;
    expect(event?.status).toBe('resolved');
    expect(event?.endsAt).toBe(Date.parse('2026-11-21T04:46:30.568Z'));
  });

  it('trusts the per-alert status over the group status and accepts unknown fields', () => {
    const body = {
      ...captured<any>('alertmanager-0.25-webhook-firing-HostHighCpuLoad.json').body,
      status: 'firing',
      notification_reason: 'resolved',
      routeLabels: { team: 'x' },
    };
    body.alerts = [{ ...body.alerts[0], status: 'resolved', endsAt: '2026-11-21T04:44:00Z' }];
    const batch = parseWebhook(body, 'alertmanager', NOW);
    expect(batch.events[0]?.status).toBe('resolved');
  });

  it('names the field of each bad alert and keeps the good ones', () => {
    const good = captured<any>('alertmanager-0.25-webhook-firing-HostHighCpuLoad.json').body.alerts[0];
    const batch = parseWebhook({ version: '4', alerts: [good, { ...good, status: 'burning' }, { ...good, startsAt: 'yesterday' }] }, 'alertmanager', NOW);
    expect(batch.events).toHaveLength(1);
    expect(batch.issues.map((i) => i.path)).toEqual(['alerts.1.status', 'alerts.2.startsAt']);
  });

  it('rejects a body without an alerts array', () => {
    const batch = parseWebhook({ version: '4' }, 'alertmanager', NOW);
    expect(batch.rejected).toBe(true);
    expect(batch.issues[0]?.path).toBe('alerts');
  });
});

describe('Alertmanager API v2 postable alerts (from Prometheus)', () => {
  it('treats an endsAt in the future as a firing lease', () => {
    const at = Date.parse('2026-11-21T04:42:00.000Z');
    const batch = parseAlertmanagerV2(captured('prometheus-2.42-post-api-v2-alerts-1.json').body, at, 5 * MIN);
    expect(batch.events.map((e) => [e.labels.alertname, e.status, e.endsAt])).toEqual([
      ['HostHighCpuLoad', 'firing', Date.parse('2026-11-21T04:46:30.568Z')],
      ['DiskWillFillIn4Hours', 'firing', Date.parse('2026-11-21T04:46:30.568Z')],
    ]);
    expect(batch.events[1]?.fingerprint).toBe('4fdda2f799d95d5d');
  });

  it('treats an endsAt not after now as resolved', () => {
    const batch = parseAlertmanagerV2(captured('prometheus-2.42-post-api-v2-alerts-1.json').body, Date.parse('2026-11-21T04:46:30.568Z'), 5 * MIN);
    expect(batch.events.every((e) => e.status === 'resolved')).toBe(true);
  });

  it('gives an alert without endsAt a lease of the resolve timeout and defaults startsAt to now', () => {
    const [event] = parseAlertmanagerV2([{ labels: { alertname: 'X' } }], NOW, 5 * MIN).events;
    expect(event).toMatchObject({ status: 'firing', startsAt: NOW, endsAt: NOW + 5 * MIN });
  });

  it('rejects empty label sets, bad label names, empty values and end before start', () => {
    const batch = parseAlertmanagerV2(
      [
        { labels: {} },
        { labels: { 'bad-name': 'x' } },
        { labels: { alertname: '' } },
        { labels: { alertname: 'X' }, startsAt: '2026-11-21T04:00:00Z', endsAt: '2026-11-21T03:00:00Z' },
        { labels: { alertname: 'ok' } },
      ],
      NOW,
      5 * MIN,
    );
    expect(batch.events.map((e) => e.labels.alertname)).toEqual(['ok']);
    expect(batch.issues.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(batch.issues[3]?.message).toBe('start time must be before end time');
  });

  it('rejects a body that is not an array', () => {
    expect(parseAlertmanagerV2({ alerts: [] }, NOW, MIN).rejected).toBe(true);
  });
});

describe('native format', () => {
  it('defaults status from endsAt and startsAt to now', () => {
    const batch = parseNative({ alerts: [{ labels: { alertname: 'A' } }, { labels: { alertname: 'B' }, endsAt: '2026-11-21T04:40:00Z', startsAt: '2026-11-21T04:30:00Z' }] }, NOW);
    expect(batch.events.map((e) => [e.status, e.startsAt, e.endsAt])).toEqual([
      ['firing', NOW, null],
      ['resolved', Date.parse('2026-11-21T04:30:00Z'), Date.parse('2026-11-21T04:40:00Z')],
    ]);
  });

  it('uses a given fingerprint, else the Prometheus one', () => {
    const batch = parseNative({ alerts: [{ labels: { alertname: 'A' }, fingerprint: 'mine' }, { labels: { name: 'garland, briggs', fear: 'love is not enough' } }] }, NOW);
    expect(batch.events.map((e) => e.fingerprint)).toEqual(['mine', '507a62d79ee76c9a']);
  });

  it('rejects an empty batch and wrong types by path', () => {
    expect(parseNative({ alerts: [] }, NOW).rejected).toBe(true);
    const batch = parseNative({ alerts: [{ labels: { alertname: 5 } }] }, NOW);
    expect(batch.issues[0]?.path).toBe('alerts.0.labels.alertname');
    expect(parseNative({ alerts: [{ labels: { alertname: 'A' }, annotations: ['x'] }] }, NOW).issues[0]).toMatchObject({ path: 'alerts.0.annotations', message: expect.stringContaining('expected record, received array') });
  });

  it('keeps every key sent, a label or annotation named "__proto__" included', () => {
    // As JSON.parse gives it: an own property, not the prototype.
    const body = JSON.parse('{"alerts":[{"labels":{"alertname":"A","__proto__":"x"},"annotations":{"__proto__":"kept","summary":"s"}}]}') as unknown;
    const [event] = parseNative(body, NOW).events;
    expect(Object.keys(event?.labels ?? {})).toEqual(['alertname', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(event?.annotations, '__proto__')?.value).toBe('kept');
    expect(JSON.parse(JSON.stringify(event?.annotations))).toEqual(JSON.parse('{"__proto__":"kept","summary":"s"}'));
    const [v2] = parseAlertmanagerV2(JSON.parse('[{"labels":{"alertname":"A"},"annotations":{"__proto__":"kept"}}]'), NOW, 5 * MIN).events;
    expect(Object.keys(v2?.annotations ?? {})).toEqual(['__proto__']);
  });
});

describe('an alert repeated within one batch', () => {
  const at = (minute: number) => new Date(NOW - 30 * MIN + minute * MIN).toISOString();
  const alert = (alertname: string, summary: string, extra: Record<string, unknown> = {}) => ({ labels: { alertname }, annotations: { summary }, startsAt: at(0), ...extra });

  it('keeps the last copy, in its place, on every batch format', () => {
    const sent = [alert('A', 'a1'), alert('B', 'b1'), alert('A', 'a2'), alert('C', 'c1'), alert('A', 'a3')];
    const webhookBody = { version: '4', alerts: sent.map((a) => ({ ...a, status: 'firing' })) };
    for (const batch of [parseAlertmanagerV2(sent, NOW, 5 * MIN), parseNative({ alerts: sent }, NOW), parseWebhook(webhookBody, 'alertmanager', NOW), parseWebhook(webhookBody, 'grafana', NOW)]) {
      expect(batch.events.map((e) => [e.labels.alertname, e.annotations.summary])).toEqual([['B', 'b1'], ['C', 'c1'], ['A', 'a3']]);
      expect(batch.merged).toBe(2);
      expect(batch.issues).toEqual([]);
    }
  });

  it('keeps a repeat with another status or start: those are distinct events', () => {
    const batch = parseNative({ alerts: [alert('A', 'open'), alert('A', 'ended', { status: 'resolved', endsAt: at(5) }), alert('A', 'again', { startsAt: at(10) })] }, NOW);
    expect(batch.events.map((e) => e.annotations.summary)).toEqual(['open', 'ended', 'again']);
    expect(batch.merged).toBe(0);
  });

  it("merges by the fingerprint a webhook sends, and the last copy's end wins", () => {
    const copy = (endsAt: string) => ({ status: 'resolved', labels: { alertname: 'A' }, startsAt: at(0), endsAt, fingerprint: 'f00d' });
    const batch = parseWebhook({ version: '4', alerts: [copy(at(9)), copy(at(3))] }, 'alertmanager', NOW);
    expect(batch.events.map((e) => e.endsAt)).toEqual([Date.parse(at(3))]);
  });
});

describe('PagerDuty Events API v2', () => {
  let n = 0;
  const key = () => `generated-${++n}`;
  const trigger = {
    routing_key: 'key',
    event_action: 'trigger',
    dedup_key: 'disk-db-1',
    payload: { summary: 'Disk full on db-1', source: 'db-1', severity: 'critical', group: 'payments', class: 'disk', custom_details: { used: '99%' } },
  };

  it('maps a trigger onto labels and annotations', () => {
    const parsed = parsePagerDuty(trigger, NOW, key);
    expect(parsed.ok && parsed.event).toMatchObject({
      source: 'pagerduty',
      fingerprint: 'disk-db-1',
      status: 'firing',
      labels: { alertname: 'disk', severity: 'critical', host: 'db-1', service: 'payments' },
      annotations: { summary: 'Disk full on db-1', details: '{"used":"99%"}' },
      startsAt: NOW,
    });
  });

  it('gives a trigger without dedup_key a fresh key', () => {
    const a = parsePagerDuty({ ...trigger, dedup_key: undefined }, NOW, key);
    const b = parsePagerDuty({ ...trigger, dedup_key: undefined }, NOW, key);
    expect(a.ok && b.ok && a.dedupKey !== b.dedupKey).toBe(true);
  });

  it('maps acknowledge and resolve, which need a dedup_key', () => {
    const ack = parsePagerDuty({ routing_key: 'k', event_action: 'acknowledge', dedup_key: 'd' }, NOW, key);
    expect(ack.ok && ack.event.status).toBe('acknowledged');
    const resolve = parsePagerDuty({ routing_key: 'k', event_action: 'resolve', dedup_key: 'd' }, NOW, key);
    expect(resolve.ok && [resolve.event.status, resolve.event.endsAt]).toEqual(['resolved', NOW]);
    const missing = parsePagerDuty({ routing_key: 'k', event_action: 'resolve' }, NOW, key);
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.errors[0]).toContain('dedup_key');
  });

  it('names invalid fields', () => {
    const parsed = parsePagerDuty({ ...trigger, payload: { ...trigger.payload, severity: 'bad' } }, NOW, key);
    expect(!parsed.ok && parsed.errors.join()).toContain("'payload.severity'");
  });
});

describe('Grafana HMAC signature', () => {
  const body = new TextEncoder().encode('{"alerts":[]}');
  const sign = (message: string) => createHmac('sha256', 'sekret').update(message).digest('hex');
  const headers = (h: Record<string, string>) => (name: string) => h[name];

  it('accepts a correct signature in either header', () => {
    const config = { secret: 'sekret', timestampHeader: null, maxSkewMs: MIN };
    expect(verifyGrafanaSignature(config, body, headers({ 'x-grafana-alerting-signature': sign('{"alerts":[]}') }), NOW).ok).toBe(true);
    expect(verifyGrafanaSignature(config, body, headers({ 'x-grafana-alert-signature': sign('{"alerts":[]}') }), NOW).ok).toBe(true);
  });

  it('rejects a wrong or missing signature', () => {
    const config = { secret: 'sekret', timestampHeader: null, maxSkewMs: MIN };
    expect(verifyGrafanaSignature(config, body, headers({ 'x-grafana-alerting-signature': sign('other') }), NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifyGrafanaSignature(config, body, headers({}), NOW).ok).toBe(false);
  });

  it('signs timestamp:body when a timestamp header is configured and bounds the skew', () => {
    const config = { secret: 'sekret', timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp', maxSkewMs: MIN };
    const ts = String(Math.floor(NOW / 1000));
    const ok = headers({ 'x-grafana-alerting-signature': sign(`${ts}:{"alerts":[]}`), 'x-grafana-alerting-signature-timestamp': ts });
    expect(verifyGrafanaSignature(config, body, ok, NOW).ok).toBe(true);
    expect(verifyGrafanaSignature(config, body, ok, NOW + 2 * MIN).ok).toBe(false);
  });
});

describe('times: RFC 3339 with an offset, within the skew of now', () => {
  const Y1900 = '1900-01-01T00:00:00Z';
  const Y1970 = '1970-01-01T00:00:00Z';
  const Y9999 = '9999-12-31T00:00:00Z';
  const LOCAL = '2026-11-21T04:40:00';
  const ok = '2026-11-21T04:40:00Z';
  const webhookAlert = (startsAt: string, endsAt = '0001-01-01T00:00:00Z', status = 'firing') => ({ status, labels: { alertname: 'A', at: startsAt }, startsAt, endsAt });

  it('Alertmanager webhook and Grafana: a far or zone-less time rejects its alert, naming it; the rest are kept; zero endsAt is no end', () => {
    for (const source of ['alertmanager', 'grafana'] as const) {
      const batch = parseWebhook({ version: '4', alerts: [webhookAlert(ok), webhookAlert(Y1900), webhookAlert(Y1970), webhookAlert(Y9999), webhookAlert(LOCAL), webhookAlert(ok, Y9999, 'resolved')] }, source, NOW);
      expect(batch.rejected).toBe(false);
      expect(batch.events).toHaveLength(1);
      expect(batch.events[0]).toMatchObject({ startsAt: Date.parse(ok), endsAt: null, status: 'firing' });
      expect(batch.issues.map((i) => [i.index, i.path])).toEqual([
        [1, 'alerts.1.startsAt'],
        [2, 'alerts.2.startsAt'],
        [3, 'alerts.3.startsAt'],
        [4, 'alerts.4.startsAt'],
        [5, 'alerts.5.endsAt'],
      ]);
      expect(batch.issues[0]?.message).toContain('is more than 365d before the server\'s time');
      expect(batch.issues[2]?.message).toContain('is more than 1h after the server\'s time');
      expect(batch.issues[3]?.message).toContain('has no UTC offset');
    }
  });

  it('honours a configured skew', () => {
    const skew = { past: 10 * MIN, future: 0 };
    const batch = parseWebhook({ version: '4', alerts: [webhookAlert('2026-11-21T04:30:00Z'), webhookAlert('2026-11-21T04:40:00Z')] }, 'alertmanager', NOW, skew);
    expect(batch.issues.map((i) => i.path)).toEqual(['alerts.0.startsAt']);
    expect(batch.issues[0]?.message).toContain('more than 10m before');
    expect(parseNative({ alerts: [{ labels: { alertname: 'A' }, startsAt: '2026-11-21T04:45:00.001Z' }] }, NOW, skew).issues[0]?.path).toBe('alerts.0.startsAt');
  });

  it('Alertmanager API v2 (what Prometheus sends): the given start and end are checked, the lease it fills in is not', () => {
    const batch = parseAlertmanagerV2(
      [
        { labels: { alertname: 'A' }, startsAt: ok },
        { labels: { alertname: 'B' }, startsAt: Y1900 },
        { labels: { alertname: 'C' }, startsAt: ok, endsAt: Y9999 },
        { labels: { alertname: 'D' }, startsAt: '2026-11-21T06:40:00+02:00' },
        { labels: { alertname: 'E' }, startsAt: LOCAL },
      ],
      NOW,
      24 * 60 * MIN,
    );
    expect(batch.events.map((e) => [e.labels.alertname, e.startsAt])).toEqual([
      ['A', Date.parse(ok)],
      ['D', Date.parse(ok)],
    ]);
    expect(batch.issues.map((i) => i.path)).toEqual(['alerts.1.startsAt', 'alerts.2.endsAt', 'alerts.4.startsAt']);
  });

  it('native API: the same, and a resolved alert with a far end is refused rather than resolving in 9999', () => {
    const batch = parseNative({ alerts: [{ labels: { alertname: 'A' }, startsAt: ok }, { labels: { alertname: 'B' }, status: 'resolved', endsAt: Y9999 }, { labels: { alertname: 'C' }, startsAt: Y1970 }] }, NOW);
    expect(batch.events.map((e) => e.labels.alertname)).toEqual(['A']);
    expect(batch.issues.map((i) => i.path)).toEqual(['alerts.1.endsAt', 'alerts.2.startsAt']);
  });

  it('PagerDuty: a far or zone-less payload.timestamp is an invalid event naming it, and no dedup key is spent', () => {
    let keys = 0;
    const newKey = () => `k${++keys}`;
    for (const [timestamp, reason] of [[Y9999, 'more than 1h after'], [Y1900, 'more than 365d before'], [LOCAL, 'has no UTC offset']] as const) {
      const parsed = parsePagerDuty({ routing_key: 'r', event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'error', timestamp } }, NOW, newKey);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.errors[0]).toMatch(new RegExp(`^'payload.timestamp': .*${reason}`));
    }
    expect(keys).toBe(0);
    const fine = parsePagerDuty({ routing_key: 'r', event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'error', timestamp: ok } }, NOW, newKey);
    expect(fine.ok && fine.event.startsAt).toBe(Date.parse(ok));
  });
});
