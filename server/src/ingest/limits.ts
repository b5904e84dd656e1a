/**
 * @module Size limits on what one alert may carry, shared by every ingest format.
 *
 * Labels are the alert's identity (its fingerprint, grouping, matching): one that is too long,
 * or too many of them, rejects the alert, since a cut label would be another alert. Annotations
 * only describe it (summary, description, runbook): a value that is too long is cut to the limit,
 * ends with a marker saying how much was cut, and is reported to the sender, so the page still
 * goes out and nothing is lost unnoticed.
 */
import type { Labels } from '../domain/alert.js';
import type { ItemIssue } from './schemas.js';

export interface AlertLimits {
  maxAlertsPerRequest: number;
  /** Labels per alert; annotations per alert are held to the same number. */
  maxLabelsPerAlert: number;
  /** UTF-8 bytes of each label or annotation name and value. */
  maxValueBytes: number;
}

export const DEFAULT_ALERT_LIMITS: AlertLimits = { maxAlertsPerRequest: 10_000, maxLabelsPerAlert: 64, maxValueBytes: 16_384 };

/** The config keys, named in messages so a sender's operator knows what to change. */
const KEY = {
  alerts: 'ingest.maxAlertsPerRequest',
  labels: 'ingest.maxLabelsPerAlert',
  bytes: 'ingest.maxValueBytes',
};

export const tooManyAlertsMessage = (count: number, limits: AlertLimits) => `${count} alerts in one request; at most ${limits.maxAlertsPerRequest} (${KEY.alerts})`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 length without encoding short strings: a JS string of n code units is at most 3n bytes. */
function utf8Bytes(value: string, limit: number): number {
  if (value.length * 3 <= limit) return value.length;
  return encoder.encode(value).length;
}

export type LimitedAlert = { ok: true; annotations: Labels; truncated: ItemIssue[] } | { ok: false; issues: ItemIssue[] };

/**
 * Checks one alert against the limits. `path` is the alert's own (`alerts.3`); every issue and
 * truncation names the field under it (`alerts.3.labels.instance`) and the limit.
 */
export function limitAlert(index: number, path: string, labels: Labels, annotations: Labels, limits: AlertLimits): LimitedAlert {
  const issues: ItemIssue[] = [];
  const max = limits.maxValueBytes;
  const labelNames = Object.keys(labels);
  if (labelNames.length > limits.maxLabelsPerAlert) {
    issues.push({ index, path: `${path}.labels`, message: `${labelNames.length} labels; at most ${limits.maxLabelsPerAlert} per alert (${KEY.labels})` });
  }
  for (const name of labelNames) {
    const nameBytes = utf8Bytes(name, max);
    if (nameBytes > max) issues.push({ index, path: `${path}.labels`, message: `a label name is ${nameBytes} bytes; at most ${max} (${KEY.bytes})` });
    const valueBytes = utf8Bytes(labels[name] as string, max);
    if (valueBytes > max) issues.push({ index, path: `${path}.labels.${name}`, message: `label value is ${valueBytes} bytes; at most ${max} (${KEY.bytes}); labels are the alert's identity and are not cut` });
  }
  const annotationNames = Object.keys(annotations);
  if (annotationNames.length > limits.maxLabelsPerAlert) {
    issues.push({ index, path: `${path}.annotations`, message: `${annotationNames.length} annotations; at most ${limits.maxLabelsPerAlert} per alert (${KEY.labels})` });
  }
  for (const name of annotationNames) {
    const nameBytes = utf8Bytes(name, max);
    if (nameBytes > max) issues.push({ index, path: `${path}.annotations`, message: `an annotation name is ${nameBytes} bytes; at most ${max} (${KEY.bytes})` });
  }
  if (issues.length > 0) return { ok: false, issues };

  const truncated: ItemIssue[] = [];
  let limited: Labels = annotations;
  for (const name of annotationNames) {
    const value = annotations[name] as string;
    const cut = truncateValue(value, max);
    if (cut === null) continue;
    if (limited === annotations) limited = Object.fromEntries(Object.entries(annotations));
    // defineProperty: an annotation named `__proto__` stays an own property.
    Object.defineProperty(limited, name, { value: cut.value, enumerable: true, writable: true, configurable: true });
    truncated.push({ index, path: `${path}.annotations.${name}`, message: `annotation value of ${cut.bytes} bytes cut to ${max} (${KEY.bytes})` });
  }
  return { ok: true, annotations: limited, truncated };
}

/**
 * `value` cut to at most `max` UTF-8 bytes, ending with a marker that says how many bytes were
 * cut; null when it fits. Cuts at a character boundary.
 */
export function truncateValue(value: string, max: number): { value: string; bytes: number } | null {
  if (utf8Bytes(value, max) <= max) return null;
  const bytes = encoder.encode(value);
  // The marker's length depends on the number it carries: at most the total's digits.
  const markerFor = (cut: number) => `… [${cut} bytes cut]`;
  const room = max - encoder.encode(markerFor(bytes.length)).length;
  let keep = Math.max(0, room);
  // Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (keep > 0 && ((bytes[keep] as number) & 0xc0) === 0x80) keep--;
  const head = decoder.decode(bytes.subarray(0, keep));
  return { value: head + markerFor(bytes.length - keep), bytes: bytes.length };
}
