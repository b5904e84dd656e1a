/** HTTP(S), TCP and process checks against local servers and the fixture /proc tree. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFamilies } from '../../agent/src/checks/families.js';
import { runCheck } from '../../agent/src/checks/runner.js';
import { systemClock } from '../../agent/src/clock.js';
import { CheckConfig } from '../../agent/src/config.js';

const PROC = fileURLToPath(new URL('../fixtures/proc/basic/proc', import.meta.url));
const check = (input: Record<string, unknown>) => CheckConfig.parse(input);

let plain: http.Server;
let secure: https.Server;
let plainUrl = '';
let secureUrl = '';
let certNotAfter = 0;
let dir = '';

const handler: http.RequestListener = (req, res) => {
  if (req.url === '/slow') return; // never answers
  if (req.url === '/down') return void res.writeHead(503).end('maintenance');
  if (req.url === '/as') return void res.writeHead(200).end(`${'a'.repeat(32)}b`);
  res.writeHead(200, { 'content-type': 'text/plain' }).end('status: ok, all good');
};

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sightline-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const endDate = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-enddate'], { encoding: 'utf8' }).trim().replace('notAfter=', '');
  certNotAfter = Date.parse(endDate) / 1000;
  plain = http.createServer(handler);
  secure = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler);
  plainUrl = `http://127.0.0.1:${await listen(plain)}`;
  secureUrl = `https://localhost:${await listen(secure)}`;
});

afterAll(() => {
  plain?.closeAllConnections();
  plain?.close();
  secure?.closeAllConnections();
  secure?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP check', () => {
  it('succeeds on 2xx with a matching body and reports phases', async () => {
    const r = await runCheck(check({ name: 'web', type: 'http', url: `${plainUrl}/health`, bodyRegex: 'status: ok' }), PROC, systemClock);
    expect(r.success).toBe(true);
    expect(r.http?.statusCode).toBe(200);
    expect(r.http?.contentLength).toBe(20);
    expect(r.http?.failedDueToRegex).toBe(false);
    expect(r.http?.ssl).toBe(false);
    expect(r.http?.phases.tls).toBe(0);
    expect(r.http!.phases.connect + r.http!.phases.processing + r.http!.phases.transfer).toBeLessThanOrEqual(r.durationSeconds + 1e-6);
    expect(r.durationSeconds).toBeGreaterThan(0);
  });

  it('matches a body against a pattern that backtracks exponentially elsewhere (RE2: linear in the body)', async () => {
    const r = await runCheck(check({ name: 'as', type: 'http', url: `${plainUrl}/as`, bodyRegex: '^(a+)+$' }), PROC, systemClock);
    expect([r.success, r.http?.failedDueToRegex]).toEqual([false, true]);
    const found = await runCheck(check({ name: 'as', type: 'http', url: `${plainUrl}/as`, bodyRegex: '(a+)+b' }), PROC, systemClock);
    expect([found.success, found.http?.failedDueToRegex]).toEqual([true, false]);
  });

  it('fails on a body mismatch, an unexpected status, and a timeout', async () => {
    const regex = await runCheck(check({ name: 'r', type: 'http', url: plainUrl, bodyRegex: '^nope' }), PROC, systemClock);
    expect([regex.success, regex.http?.failedDueToRegex, regex.error]).toEqual([false, true, 'body did not match bodyRegex']);
    const down = await runCheck(check({ name: 'd', type: 'http', url: `${plainUrl}/down`, expectStatus: [200] }), PROC, systemClock);
    expect([down.success, down.http?.statusCode, down.error]).toEqual([false, 503, 'unexpected status 503']);
    const accepted = await runCheck(check({ name: 'a', type: 'http', url: `${plainUrl}/down`, expectStatus: [503] }), PROC, systemClock);
    expect(accepted.success).toBe(true);
    const slow = await runCheck(check({ name: 's', type: 'http', url: `${plainUrl}/slow`, timeout: '200ms' }), PROC, systemClock);
    expect(slow.success).toBe(false);
    expect(slow.error).toBe('timeout after 200 ms');
    expect(slow.durationSeconds).toBeGreaterThanOrEqual(0.19);
    expect(slow.durationSeconds).toBeLessThan(2);
  });

  it('reads the certificate expiry over TLS and refuses an untrusted certificate unless told not to', async () => {
    const strict = await runCheck(check({ name: 't1', type: 'http', url: secureUrl }), PROC, systemClock);
    expect(strict.success).toBe(false);
    expect(strict.error).toMatch(/self[- ]signed/i);
    const r = await runCheck(check({ name: 't2', type: 'http', url: secureUrl, insecureSkipVerify: true }), PROC, systemClock);
    expect(r.success).toBe(true);
    expect(r.http?.ssl).toBe(true);
    expect(r.http?.sslEarliestCertExpiry).toBe(certNotAfter);
    expect(r.http!.phases.tls).toBeGreaterThan(0);
    const families = checkFamilies([{ result: r, sinceMs: 0 }]);
    const phases = families.find((f) => f.name === 'probe_http_duration_seconds')!.samples.map((s) => s.labels.phase);
    expect(phases).toEqual(['resolve', 'connect', 'tls', 'processing', 'transfer']);
    expect(families.find((f) => f.name === 'probe_ssl_earliest_cert_expiry')!.samples).toEqual([{ labels: { check: 't2', type: 'http', target: secureUrl }, value: certNotAfter }]);
  });
});

describe('TCP check', () => {
  it('succeeds when the port accepts and fails when it refuses', async () => {
    const port = new URL(plainUrl).port;
    const ok = await runCheck(check({ name: 'tcp', type: 'tcp', target: `127.0.0.1:${port}` }), PROC, systemClock);
    expect(ok.success).toBe(true);
    const closed = net.createServer();
    const freePort = await listen(closed);
    await new Promise((r) => closed.close(r));
    const refused = await runCheck(check({ name: 'tcp2', type: 'tcp', target: `127.0.0.1:${freePort}` }), PROC, systemClock);
    expect(refused.success).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
    // probe_* carry the check's type, as blackbox_exporter users select by module.
    const success = checkFamilies([ok, refused].map((result) => ({ result, sinceMs: 0 }))).find((f) => f.name === 'probe_success')!;
    expect(success.samples).toEqual([
      { labels: { check: 'tcp', type: 'tcp', target: `127.0.0.1:${port}` }, value: 1 },
      { labels: { check: 'tcp2', type: 'tcp', target: `127.0.0.1:${freePort}` }, value: 0 },
    ]);
  });
});

describe('process check', () => {
  it('matches by name and by command line, summing CPU seconds and RSS', async () => {
    const nginx = await runCheck(check({ name: 'nginx', type: 'process', processName: 'nginx' }), PROC, systemClock);
    expect(nginx.success).toBe(true);
    expect(nginx.process).toEqual({ count: 2, cpuSeconds: 25, residentBytes: (10240 + 20480) * 1024 });
    const pg = await runCheck(check({ name: 'pg', type: 'process', cmdlineRegex: 'postgres -D /var/lib/postgresql' }), PROC, systemClock);
    expect(pg.process).toEqual({ count: 1, cpuSeconds: 50, residentBytes: 51200 * 1024 });
    const none = await runCheck(check({ name: 'none', type: 'process', processName: 'redis-server' }), PROC, systemClock);
    expect([none.success, none.process?.count, none.error]).toEqual([false, 0, 'no matching process']);
    const families = checkFamilies([nginx, none].map((result) => ({ result, sinceMs: 0 })));
    expect(families.find((f) => f.name === 'sightline_process_up')!.samples.map((s) => s.value)).toEqual([1, 0]);
    expect(families.find((f) => f.name === 'probe_duration_seconds')!.samples.map((s) => s.labels.type)).toEqual(['process', 'process']);
    expect(families.find((f) => f.name === 'sightline_process_cpu_seconds_total')!.type).toBe('counter');
  });

  it('finds this very test process on the real /proc', async () => {
    const self = await runCheck(check({ name: 'self', type: 'process', cmdlineRegex: `${process.pid}|vitest|node` }), '/proc', systemClock);
    expect(self.success).toBe(true);
    expect(self.process!.residentBytes).toBeGreaterThan(10 << 20);
    expect(self.process!.cpuSeconds).toBeGreaterThan(0);
  });
});
