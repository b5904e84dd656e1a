/**
 * A bounded HTTP fuzz run against a live Sightline process: per endpoint, random and mutated
 * payloads built from the seeds (captured fixtures), wrong content types, huge bodies,
 * deeply nested JSON, invalid UTF-8, gzip bombs for OTLP, odd methods, paths and query
 * strings, and malformed requests on a raw socket. Every answer must be below 500 and the
 * process must stay up; its RSS is sampled throughout.
 *
 * Deterministic for a given seed (fast-check's generators). No vitest imports: `npm run
 * fuzz` and the end-to-end test both drive it.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ingestSeeds, pathsOf, replaceAt } from './seeds.js';

export interface FuzzTarget {
  url: string;
  pid: number;
  adminToken: string;
  ingestToken: string;
  readToken: string;
  /** False once the process has exited. */
  alive(): boolean;
}

export interface FuzzOptions {
  /** Generated inputs per ingest endpoint (the fixed cases come on top). */
  perEndpoint: number;
  seed: number;
  concurrency?: number;
  /** Bodies past the limits are slow to send; how many per endpoint. */
  hugeBodies?: number;
  onProgress?: (line: string) => void;
}

export interface FuzzFailure {
  endpoint: string;
  request: string;
  status: number | string;
  body: string;
}

export interface FuzzReport {
  /** Inputs tried per endpoint, and how the answers were spread over status codes. */
  endpoints: Map<string, { tried: number; statuses: Map<number | string, number> }>;
  failures: FuzzFailure[];
  rssSamplesMb: number[];
  durationMs: number;
}

interface Case {
  endpoint: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Raw bytes on a socket instead of an HTTP client. */
  raw?: string | Uint8Array;
  /** The server rightly waits for more (a body shorter than its Content-Length). */
  mayWait?: boolean;
  describe: string;
}

const MiB = 1024 * 1024;

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const anyJson = fc.jsonValue({ maxDepth: 5, stringUnit: fc.constantFrom('grapheme', 'binary') as never });

function mutatedSeed(bodies: unknown[]): fc.Arbitrary<unknown> {
  const choices = bodies.flatMap((base) => pathsOf(base).map((p) => [base, p] as const));
  const value = fc.oneof(anyJson, fc.string({ unit: 'binary', maxLength: 300 }), fc.double(), fc.integer(), fc.constant(undefined), fc.constant('9'.repeat(400)));
  // One to three replacements, so structure survives often enough to reach deep validation.
  return fc.tuple(fc.constantFrom(...choices), fc.array(fc.tuple(fc.nat(), value), { minLength: 1, maxLength: 3 })).map(([[base], edits]) => {
    let body: unknown = base;
    for (const [pick, v] of edits) {
      const paths = pathsOf(body);
      body = replaceAt(body, paths[pick % paths.length] as (string | number)[], v);
    }
    return body;
  });
}

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

function invalidUtf8Json(seed: unknown, rand: () => number): Uint8Array {
  const text = Buffer.from(JSON.stringify(seed) ?? 'null', 'utf8');
  const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]][Math.floor(rand() * 5)] as number[];
  // Inside the first string value, so the JSON is otherwise well-formed.
  const at = Math.max(1, text.indexOf(0x22, 2) + 1);
  return Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
}

function generatedCases(options: FuzzOptions, target: FuzzTarget): Case[] {
  const cases: Case[] = [];
  const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  let counter = options.seed;
  const rand = () => {
    // mulberry32: small, seeded; only picks among fixed variants.
    counter = (counter + 0x6d2b79f5) | 0;
    let t = Math.imul(counter ^ (counter >>> 15), 1 | counter);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const huge = options.hugeBodies ?? 1;

  for (const seed of ingestSeeds()) {
    const endpoint = `POST ${seed.path}`;
    const withKey = (v: unknown) => (seed.path === '/v2/enqueue' && v && typeof v === 'object' && !Array.isArray(v) && rand() < 0.9 ? { ...(v as object), routing_key: target.ingestToken } : v);
    const auth: Record<string, string> = seed.path === '/v2/enqueue' ? {} : { authorization: `Bearer ${target.ingestToken}` };
    const post = (body: Uint8Array | string, describe: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      cases.push({ endpoint, method: 'POST', path: seed.path, headers: { ...auth, ...headers }, body, describe });

    const generated = fc.sample(fc.oneof({ weight: 3, arbitrary: mutatedSeed(seed.bodies) }, { weight: 1, arbitrary: anyJson }), { numRuns: options.perEndpoint, seed: options.seed ^ seed.path.length });
    generated.forEach((body, i) => {
      const kind = i % 10;
      if (kind === 7) post(json(withKey(body)), 'wrong content type', { 'content-type': ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/xml', ''][i % 6] as string });
      else if (kind === 8) post(invalidUtf8Json(withKey(body ?? seed.bodies[0]), rand), 'invalid UTF-8');
      else if (kind === 9 && seed.path === '/v1/metrics') post(gzipSync(Buffer.from(json(body))), 'gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      else post(json(withKey(body)), 'generated JSON');
    });

    // Fixed nasty cases, the same every run.
    post('', 'empty body');
    post('{', 'truncated JSON');
    post('{"alerts":[', 'truncated array');
    post(nested(100_000), 'nested arrays 100k deep');
    post(nested(50_000, '{"a":', '}').replace(/}+$/, (m) => `1${m}`), 'nested objects 50k deep');
    // Deep values inside an otherwise valid payload, spliced in as text (stringify would recurse).
    const deepAt = (deep: string) => json(withKey(replaceAt(seed.bodies[0], pathsOf(seed.bodies[0]).at(-1) as (string | number)[], '__DEEP__'))).replace('"__DEEP__"', deep);
    post(deepAt(nested(5_000)), 'seed with a 5k-deep value');
    post(deepAt(nested(3_000, '{"a":', '}').replace(/}+$/, (m) => `1${m}`)), 'seed with a 3k-deep object');
    if (seed.path === '/v2/enqueue') post(json(withKey(seed.bodies[0])).replace('{"free":"7%"}', nested(20_000, '{"a":', '}').replace(/}+$/, (m) => `1${m}`)), 'custom_details 20k deep');
    post(`[${'1,'.repeat(500_000)}1]`, 'a million-element array');
    post(json(withKey({ ...(Array.isArray(seed.bodies[0]) ? {} : (seed.bodies[0] as object)), alerts: Array.from({ length: 10_001 }, () => ({ labels: { alertname: 'X' } })) })), 'more alerts than a batch takes');
    post(Buffer.from('\ufeff' + json(withKey(seed.bodies[0]))), 'byte-order mark');
    post(Buffer.from(json(withKey(seed.bodies[0])), 'utf16le'), 'UTF-16 body');
    post(json(withKey(seed.bodies[0])), 'charset=latin1', { 'content-type': 'application/json; charset=latin1' });
    post(json(withKey(seed.bodies[0])), 'duplicate content type', { 'content-type': 'application/json, text/plain' });
    for (let i = 0; i < huge; i++) {
      const size = seed.path === '/v1/metrics' ? 21 * MiB : 6 * MiB;
      post(`{"x":"${'a'.repeat(size)}"}`, `huge body (${size / MiB} MiB)`);
    }
    if (seed.path === '/v1/metrics') {
      const bomb = gzipSync(Buffer.alloc(200 * MiB, 0x20), { level: 9 });
      post(bomb, `gzip bomb (${(bomb.length / 1024).toFixed(0)} KiB → 200 MiB)`, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const jsonBomb = gzipSync(Buffer.from(`{"resourceMetrics":[${'{},'.repeat(6 * MiB)}{}]}`), { level: 9 });
      post(jsonBomb, 'gzip of 18 MiB of JSON', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      post(gzipSync(Buffer.from(json(seed.bodies[0]))).subarray(0, 40), 'truncated gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      post(json(seed.bodies[0]), 'claims gzip, is not', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      for (const enc of ['br', 'deflate', 'gzip, gzip', 'x-compress']) post(json(seed.bodies[0]), `content-encoding ${enc}`, { 'content-type': 'application/json', 'content-encoding': enc });
      post(Buffer.from([0x0a, 0x05, 0x12, 0x03, 0x0a, 0x01, 0x78]), 'protobuf', { 'content-type': 'application/x-protobuf' });
    }
    // Other methods on an ingest path.
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE']) {
      cases.push({ endpoint, method, path: seed.path, headers: auth, describe: `method ${method}` });
    }
  }

  // Read endpoints with odd query strings and path parameters.
  const reads = ['/api/v1/incidents', '/api/v1/alerts', '/api/v1/stats', '/api/v1/agents', '/api/v1/silences', '/api/v1/sla', '/api/v1/capacity', '/api/v1/services', '/api/v1/hosts', '/api/v1/problem-candidates', '/api/v1/problems', '/api/v1/known-errors'];
  const queryValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }).map(encodeURIComponent), fc.constantFrom('%ff', '%', '%zz', '%00', '-1', '1e999', '9'.repeat(40), "' or 1=1 --", 'open,,,', ''));
  const queryName = fc.oneof(fc.constantFrom('status', 'priority', 'service', 'since', 'until', 'limit', 'cursor', 'state', 'suppressed', 'host', 'badge', 'inactive'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
  const queries = fc.sample(fc.array(fc.tuple(queryName, queryValue), { minLength: 1, maxLength: 6 }), { numRuns: options.perEndpoint, seed: options.seed + 1 });
  queries.forEach((q, i) => {
    const path = `${reads[i % reads.length]}?${q.map(([k, v]) => `${k}=${v}`).join('&')}`;
    cases.push({ endpoint: 'GET read endpoints (queries)', method: 'GET', path, headers: { authorization: `Bearer ${target.readToken}` }, describe: 'query string' });
  });
  const segments = fc.sample(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }).map(encodeURIComponent), fc.constantFrom('%ff', '%c0%ae%c0%ae', '..', '%2e%2e%2f%2e%2e', '9'.repeat(30), '-0', '0x10', 'x'.repeat(4000))), { numRuns: options.perEndpoint, seed: options.seed + 2 });
  const detail = ['/api/v1/incidents/', '/api/v1/agents/', '/api/v1/sla/', '/api/v1/capacity/', '/api/v1/incidents/1/notifications?x=', '/api/v1/tokens/', '/api/v1/silences/', '/api/v1/problem-candidates/', '/api/v1/problems/'];
  segments.forEach((seg, i) => {
    const base = detail[i % detail.length] as string;
    const method = base === '/api/v1/tokens/' || base === '/api/v1/silences/' ? 'DELETE' : 'GET';
    // Only odd-looking names can be generated here, so a DELETE never hits a real token or silence.
    cases.push({ endpoint: 'GET/DELETE path parameters', method, path: base + seg, headers: { authorization: `Bearer ${target.adminToken}` }, describe: 'path parameter' });
  });
  for (const path of ['/', '//api//v1//incidents', '/api/v1/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', `/${'a/'.repeat(2000)}`, '/api/v1/incidents?' + 'a=1&'.repeat(5000), '/api/v1/incidents#frag', '/metrics?%ff', '/healthz?x=%00', '/readyz/../metrics', '/api/v1/INCIDENTS']) {
    cases.push({ endpoint: 'odd paths', method: 'GET', path, headers: { authorization: `Bearer ${target.readToken}` }, describe: 'odd path' });
  }
  for (const auth of ['Bearer', 'Bearer ', `Bearer ${'x'.repeat(10_000)}`, 'Basic YWRtaW46YWRtaW4=', `bearer ${target.readToken}`, `Bearer ${target.readToken} extra`, 'Bearer \u00ff']) {
    cases.push({ endpoint: 'odd authorization headers', method: 'GET', path: '/api/v1/incidents', headers: { authorization: auth }, describe: 'authorization header' });
  }

  // Malformed HTTP on a raw socket: the server may answer 400 or close, but must live on.
  const host = new URL(target.url).host;
  for (const raw of [
    'GARBAGE\r\n\r\n',
    `GET /api/v1/incidents HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 100\r\nContent-Type: application/json\r\nAuthorization: Bearer ${target.ingestToken}\r\n\r\n{"alerts":`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nAuthorization: Bearer ${target.ingestToken}\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n`,
    `GET /api/v1/incidents HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
    `GET /\u00ff HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    `GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n`,
    `GET /api/v1/incidents HTTP/1.1\r\nHost: ${host}\r\nBroken header line\r\n\r\n`,
    `GET /healthz HTTP/1.0\r\n\r\n`,
  ]) {
    cases.push({ endpoint: 'malformed HTTP (raw socket)', method: 'RAW', path: '', headers: {}, raw, mayWait: raw.includes('Content-Length: 100'), describe: JSON.stringify(raw.slice(0, 60)) });
  }
  return cases;
}

async function sendRaw(target: FuzzTarget, raw: string | Uint8Array): Promise<number | string> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let data = '';
    const done = (v: number | string) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(5_000, () => done('timeout'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      if (status) done(Number(status[1]));
    });
    socket.on('error', () => done('closed'));
    socket.on('close', () => done(data ? 'unparsed answer' : 'closed'));
    socket.write(raw);
  });
}

/**
 * One request; a connection the server closed after refusing a body on it (413, 431) can
 * reset the next request the client sends on it, so a reset is retried once on a new one.
 */
async function send(target: FuzzTarget, c: Case): Promise<{ status: number | string; body: string }> {
  const first = await sendOnce(target, c);
  return /ECONNRESET|UND_ERR_SOCKET|EPIPE/.test(String(first.status)) ? sendOnce(target, c) : first;
}

async function sendOnce(target: FuzzTarget, c: Case): Promise<{ status: number | string; body: string }> {
  if (c.raw !== undefined) return { status: await sendRaw(target, c.raw), body: '' };
  try {
    const res = await fetch(target.url + c.path, {
      method: c.method,
      headers: c.headers,
      body: c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body,
      signal: AbortSignal.timeout(60_000),
    });
    const body = await res.text();
    return { status: res.status, body: body.slice(0, 300) };
  } catch (error) {
    // A closed connection for a request past a limit is fine; anything else shows up as a failure.
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { status: `client error ${cause}`, body: (error as Error).message.slice(0, 200) };
  }
}

/** Client-side refusals (the request could not even be formed) are not server answers. */
const CLIENT_REFUSED = /client error (TypeError|UND_ERR_INVALID_ARG|ERR_INVALID_ARG_VALUE|ERR_INVALID_HTTP_TOKEN)/;

export async function runHttpFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const cases = generatedCases(options, target);
  const report: FuzzReport = { endpoints: new Map(), failures: [], rssSamplesMb: [rssMb(target.pid)], durationMs: 0 };
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= cases.length) return;
      const c = cases[i] as Case;
      const { status, body } = await send(target, c);
      const entry = report.endpoints.get(c.endpoint) ?? { tried: 0, statuses: new Map() };
      report.endpoints.set(c.endpoint, entry);
      if (typeof status === 'string' && CLIENT_REFUSED.test(status)) continue;
      entry.tried++;
      entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
      const bad = typeof status === 'number' ? status >= 500 : !(c.raw !== undefined && (status === 'closed' || status === 'unparsed answer' || (status === 'timeout' && c.mayWait))) && !/huge|bomb|million/.test(c.describe);
      if (bad || !target.alive()) {
        report.failures.push({ endpoint: c.endpoint, request: `${c.method} ${c.path.slice(0, 120)} (${c.describe})`, status: target.alive() ? status : `${status}; process died`, body });
      }
      if (++done % 50 === 0) {
        if (target.alive()) report.rssSamplesMb.push(rssMb(target.pid));
        options.onProgress?.(`${done}/${cases.length} inputs, RSS ${report.rssSamplesMb.at(-1)?.toFixed(0)} MB`);
      }
      if (!target.alive()) return;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  if (target.alive()) report.rssSamplesMb.push(rssMb(target.pid));
  report.durationMs = Date.now() - started;
  return report;
}

export function formatFuzzReport(report: FuzzReport): string {
  const lines = ['endpoint                                   inputs  answers'];
  let total = 0;
  for (const [endpoint, { tried, statuses }] of [...report.endpoints].sort()) {
    total += tried;
    const spread = [...statuses].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => `${s}×${n}`).join(' ');
    lines.push(`${endpoint.padEnd(42)} ${String(tried).padStart(6)}  ${spread}`);
  }
  const rss = report.rssSamplesMb;
  lines.push(`total ${total} inputs in ${(report.durationMs / 1000).toFixed(1)} s; RSS start ${rss[0]?.toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB, end ${rss.at(-1)?.toFixed(0)} MB; ${report.failures.length} failures`);
  for (const f of report.failures.slice(0, 20)) lines.push(`  FAIL ${f.endpoint}: ${f.request} → ${f.status} ${f.body}`);
  return lines.join('\n');
}
