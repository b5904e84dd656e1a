/** The captured payloads from real Prometheus 2.42 and Alertmanager 0.25, and builders. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlertEvent } from '../../server/src/domain/alert.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CAPTURED_DIR = path.join(here, '..', 'fixtures', 'captured');

export interface Captured<T = unknown> {
  captured_from: string;
  method: string;
  path: string;
  content_type: string;
  body: T;
}

export function captured<T = any>(name: string): Captured<T> {
  return JSON.parse(readFileSync(path.join(CAPTURED_DIR, name), 'utf8')) as Captured<T>;
}

export function makeNativeAlert(overrides: Record<string, unknown> = {}) {
  return {
    labels: { alertname: 'HighLatency', service: 'checkout', severity: 'warning', instance: 'web-1:9100' },
    annotations: { summary: 'p99 latency above 500ms' },
    status: 'firing',
    startsAt: '2026-11-21T04:00:00.000Z',
    ...overrides,
  };
}

/** A canonical alert event as the parsers make it (firing, from Prometheus, at T0 with a 5-minute lease), with `overrides`. */
export function makeAlertEvent(overrides: Partial<AlertEvent> & Pick<AlertEvent, 'fingerprint' | 'labels'>): AlertEvent {
  const startsAt = overrides.startsAt ?? Date.parse('2026-11-21T04:00:00.000Z');
  return { source: 'prometheus', status: 'firing', startsAt, endsAt: startsAt + 5 * 60_000, annotations: {}, generatorUrl: null, ...overrides };
}
