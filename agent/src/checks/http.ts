/**
 * @module HTTP(S) check with blackbox_exporter's phases: resolve, connect, tls, processing (until
 * the first response byte), transfer (rest of the body). A fresh connection each run, so the phases
 * are real; redirects are not followed.
 */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import type { Clock } from '../clock.js';
import type { HttpCheckConfig } from '../config.js';
import { compilePattern } from '../regex.js';
import type { CheckResult, HttpDetails } from './result.js';

/** Bodies are read up to this size for the regex; the rest is drained and counted. */
const MAX_BODY_BYTES = 1 << 20;

function earliestExpiry(cert: PeerCertificate | DetailedPeerCertificate | undefined): number | undefined {
  let earliest: number | undefined;
  const seen = new Set<unknown>();
  let current = cert as DetailedPeerCertificate | undefined;
  while (current && current.valid_to && !seen.has(current)) {
    seen.add(current);
    const t = Date.parse(current.valid_to) / 1000;
    if (!Number.isNaN(t) && (earliest === undefined || t < earliest)) earliest = t;
    current = current.issuerCertificate;
  }
  return earliest;
}

export async function runHttpCheck(check: HttpCheckConfig, clock: Clock): Promise<CheckResult> {
  const startedAtMs = clock.now();
  const t0 = clock.monotonic();
  const url = new URL(check.url);
  const isTls = url.protocol === 'https:';
  const marks: { lookup?: number; connect?: number; tls?: number; firstByte?: number; end?: number } = {};
  const base = { name: check.name, type: 'http' as const, target: check.url, startedAtMs };

  return new Promise<CheckResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<CheckResult, keyof typeof base | 'durationSeconds'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...base, durationSeconds: (clock.monotonic() - t0) / 1000, ...result });
    };
    const options: https.RequestOptions = {
      method: check.method,
      headers: { 'user-agent': 'sightline-agent', ...check.headers },
      agent: false,
      ...(isTls ? { rejectUnauthorized: !check.insecureSkipVerify, servername: url.hostname } : {}),
    };
    const req = (isTls ? https : http).request(url, options, (res) => {
      marks.firstByte = clock.monotonic();
      const socket = res.socket as TLSSocket;
      const expiry = isTls && typeof socket.getPeerCertificate === 'function' ? earliestExpiry(socket.getPeerCertificate(true)) : undefined;
      const chunks: Buffer[] = [];
      let kept = 0;
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (kept < MAX_BODY_BYTES) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on('error', (err) => finish({ success: false, error: err.message }));
      res.on('end', () => {
        marks.end = clock.monotonic();
        const status = res.statusCode ?? 0;
        const statusOk = check.expectStatus.length > 0 ? check.expectStatus.includes(status) : status >= 200 && status < 300;
        const body = Buffer.concat(chunks).toString('utf8');
        const regexFailed = check.bodyRegex !== undefined && !compilePattern(check.bodyRegex).test(body);
        const sec = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? 0 : Math.max(0, (b - a) / 1000));
        const connected = marks.connect ?? t0;
        const details: HttpDetails = {
          statusCode: status,
          phases: {
            resolve: sec(t0, marks.lookup),
            connect: sec(marks.lookup ?? t0, marks.connect),
            tls: isTls ? sec(connected, marks.tls) : 0,
            processing: sec(marks.tls ?? connected, marks.firstByte),
            transfer: sec(marks.firstByte, marks.end),
          },
          ssl: isTls,
          contentLength: length,
          failedDueToRegex: regexFailed,
          httpVersion: res.httpVersion,
          ...(expiry !== undefined ? { sslEarliestCertExpiry: expiry } : {}),
        };
        const success = statusOk && !regexFailed;
        const error = !statusOk ? `unexpected status ${status}` : regexFailed ? 'body did not match bodyRegex' : undefined;
        finish({ success, http: details, ...(error ? { error } : {}) });
      });
    });
    req.on('socket', (socket) => {
      socket.once('lookup', () => (marks.lookup = clock.monotonic()));
      socket.once('connect', () => (marks.connect = clock.monotonic()));
      socket.once('secureConnect', () => (marks.tls = clock.monotonic()));
    });
    req.on('error', (err) => finish({ success: false, error: err.message }));
    const timer = setTimeout(() => {
      finish({ success: false, error: `timeout after ${check.timeout} ms` });
      req.destroy(new Error('timeout'));
    }, check.timeout);
    req.end();
  });
}
