import { describe, expect, it } from 'vitest';
import { parseAlertmanagerV2 } from '../../server/src/ingest/alertmanager-v2.js';
import { parseWebhook } from '../../server/src/ingest/alertmanager-webhook.js';
import { DEFAULT_ALERT_LIMITS, limitAlert, truncateValue, type AlertLimits } from '../../server/src/ingest/limits.js';
import { parseNative } from '../../server/src/ingest/native.js';
import { parsePagerDuty } from '../../server/src/ingest/pagerduty.js';
import { DEFAULT_TIME_SKEW } from '../../server/src/domain/time.js';

const NOW = Date.parse('2026-11-21T04:45:00.000Z');
const small: AlertLimits = { maxAlertsPerRequest: 3, maxLabelsPerAlert: 4, maxValueBytes: 300 };
const bytes = (s: string) => new TextEncoder().encode(s).length;

describe('truncateValue', () => {
  it.each([
    ['ascii', 'a'.repeat(1000)],
    ['two-byte characters', 'é'.repeat(400)],
    ['three-byte characters', '€'.repeat(400)],
    ['astral characters (surrogate pairs)', '😀'.repeat(400)],
  ])('cuts %s to at most the limit at a character boundary and says how much was cut', (_name, value) => {
    const cut = truncateValue(value, 300);
    expect(cut).not.toBeNull();
    expect(bytes(cut!.value)).toBeLessThanOrEqual(300);
    expect(cut!.value).not.toContain('\uFFFD');
    expect(cut!.bytes).toBe(bytes(value));
    const kept = cut!.value.slice(0, cut!.value.indexOf('… ['));
    expect(value.startsWith(kept)).toBe(true);
    expect(cut!.value).toBe(`${kept}… [${bytes(value) - bytes(kept)} bytes cut]`);
  });

  it('leaves a value within the limit alone (exactly at it too)', () => {
    expect(truncateValue('a'.repeat(300), 300)).toBeNull();
    expect(truncateValue('€'.repeat(100), 300)).toBeNull();
    expect(truncateValue('€'.repeat(101), 300)).not.toBeNull();
  });
});

describe('limitAlert', () => {
  it('rejects a label value over the limit, naming the label and the setting', () => {
    const result = limitAlert(2, 'alerts.2', { alertname: 'A', instance: 'x'.repeat(301) }, {}, small);
    expect(result).toEqual({ ok: false, issues: [{ index: 2, path: 'alerts.2.labels.instance', message: expect.stringMatching(/301 bytes; at most 300 \(ingest\.maxValueBytes\)/) }] });
  });

  it('rejects too many labels and too many annotations', () => {
    const five = { a: '1', b: '2', c: '3', d: '4', e: '5' };
    const result = limitAlert(0, 'alerts.0', five, five, small);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => [i.path, i.message])).toEqual([
      ['alerts.0.labels', '5 labels; at most 4 per alert (ingest.maxLabelsPerAlert)'],
      ['alerts.0.annotations', '5 annotations; at most 4 per alert (ingest.maxLabelsPerAlert)'],
    ]);
  });

  it('cuts an annotation over the limit, reports it, and keeps the others and the input untouched', () => {
    const annotations = { summary: 'short', description: 'd'.repeat(1000) };
    const result = limitAlert(1, 'alerts.1', { alertname: 'A' }, annotations, small);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.annotations.summary).toBe('short');
    expect(bytes(result.annotations.description as string)).toBeLessThanOrEqual(300);
    expect(result.annotations.description).toMatch(/… \[\d+ bytes cut\]$/);
    expect(result.truncated).toEqual([{ index: 1, path: 'alerts.1.annotations.description', message: 'annotation value of 1000 bytes cut to 300 (ingest.maxValueBytes)' }]);
    expect(annotations.description).toHaveLength(1000);
  });

  it('keeps an annotation named __proto__ as an own property when cutting it', () => {
    const annotations = JSON.parse(`{"__proto__":"${'p'.repeat(400)}"}`) as Record<string, string>;
    const result = limitAlert(0, 'alerts.0', { alertname: 'A' }, annotations, small);
    expect(result.ok && Object.hasOwn(result.annotations, '__proto__')).toBe(true);
    expect(result.ok && result.truncated[0]?.path).toBe('alerts.0.annotations.__proto__');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_ALERT_LIMITS).toEqual({ maxAlertsPerRequest: 10_000, maxLabelsPerAlert: 64, maxValueBytes: 16_384 });
  });
});

describe('every alert format applies the limits', () => {
  const bigLabel = { alertname: 'Big', instance: 'i'.repeat(301) };
  const okAlert = { labels: { alertname: 'Ok' }, annotations: { description: 'd'.repeat(500) } };
  const webhook = (alerts: unknown[]) => ({ version: '4', alerts: alerts.map((a) => ({ status: 'firing', startsAt: '2026-11-21T04:00:00Z', ...(a as object) })) });

  it.each([
    ['Alertmanager webhook', (alerts: unknown[]) => parseWebhook(webhook(alerts), 'alertmanager', NOW, DEFAULT_TIME_SKEW, small), 'alerts'],
    ['Grafana webhook', (alerts: unknown[]) => parseWebhook(webhook(alerts), 'grafana', NOW, DEFAULT_TIME_SKEW, small), 'alerts'],
    ['API v2', (alerts: unknown[]) => parseAlertmanagerV2(alerts, NOW, 300_000, DEFAULT_TIME_SKEW, small), ''],
    ['native', (alerts: unknown[]) => parseNative({ alerts }, NOW, DEFAULT_TIME_SKEW, small), 'alerts'],
  ])('%s: too many alerts refuses the whole request; a long label rejects its alert; a long annotation is cut', (_name, parse, wholePath) => {
    const tooMany = parse([okAlert, okAlert, okAlert, okAlert]);
    expect(tooMany).toMatchObject({ rejected: true, tooLarge: true, events: [], issues: [{ path: wholePath, message: '4 alerts in one request; at most 3 (ingest.maxAlertsPerRequest)' }] });

    const batch = parse([{ labels: bigLabel }, okAlert]);
    expect(batch.rejected).toBe(false);
    expect(batch.issues).toEqual([{ index: 0, path: 'alerts.0.labels.instance', message: expect.stringContaining('at most 300 (ingest.maxValueBytes)') }]);
    expect(batch.events.map((e) => e.labels.alertname)).toEqual(['Ok']);
    expect(bytes(batch.events[0]?.annotations.description as string)).toBeLessThanOrEqual(300);
    expect(batch.truncated).toEqual([{ index: 1, path: 'alerts.1.annotations.description', message: 'annotation value of 500 bytes cut to 300 (ingest.maxValueBytes)' }]);
  });

  it('PagerDuty: custom_details longer than the limit is cut and reported', () => {
    const event = { routing_key: 'k', event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info', custom_details: { log: 'l'.repeat(1000) } } };
    const parsed = parsePagerDuty(event, NOW, () => 'key', DEFAULT_TIME_SKEW, small);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(bytes(parsed.event.annotations.details as string)).toBeLessThanOrEqual(300);
    expect(parsed.truncated).toEqual([expect.stringMatching(/^'payload\.custom_details': 1010 bytes as JSON, cut to 300 \(ingest\.maxValueBytes\)$/)]);
    const fits = parsePagerDuty({ ...event, payload: { ...event.payload, custom_details: { log: 'short' } } }, NOW, () => 'key', DEFAULT_TIME_SKEW, small);
    expect(fits.ok && fits.truncated).toEqual([]);
  });
});
