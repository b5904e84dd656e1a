/**
 * @module Grafana webhook HMAC check. Grafana signs the raw body with HMAC-SHA256 and
 * sends the hex digest in `X-Grafana-Alerting-Signature` (or a configured header); when a
 * timestamp header is configured, the signed message is `<timestamp>:<body>` and the
 * timestamp (unix seconds) must be within the allowed skew, which stops replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface GrafanaHmacConfig {
  secret: string;
  timestampHeader: string | null;
  maxSkewMs: number;
}

export const SIGNATURE_HEADERS = ['x-grafana-alerting-signature', 'x-grafana-alert-signature'] as const;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyGrafanaSignature(
  config: GrafanaHmacConfig,
  rawBody: Uint8Array,
  header: (name: string) => string | undefined,
  now: number,
): SignatureCheck {
  const given = SIGNATURE_HEADERS.map((h) => header(h)).find((v) => v !== undefined);
  if (!given) return { ok: false, reason: `missing signature header (${SIGNATURE_HEADERS.join(' or ')})` };
  const mac = createHmac('sha256', config.secret);
  if (config.timestampHeader) {
    const timestamp = header(config.timestampHeader.toLowerCase());
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `missing or invalid ${config.timestampHeader} header` };
    if (Math.abs(now - Number(timestamp) * 1000) > config.maxSkewMs) return { ok: false, reason: 'signature timestamp outside the allowed skew' };
    mac.update(`${timestamp}:`);
  }
  mac.update(rawBody);
  const expected = mac.digest();
  const presented = Buffer.from(given.trim().replace(/^sha256=/, ''), 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
