/**
 * Overload probe: many connections each sending large alert batches back to back to the built
 * server (SQLite), while the server's resident memory is sampled from /proc and `/readyz` is
 * asked every 250 ms from a thread of its own (so the load generator's event loop does not delay
 * the probe).
 *
 *   npm run build && node --import tsx test/bench/overload.ts
 *
 * Settings (env): BENCH_CONNECTIONS (200), BENCH_DURATION seconds (20), BENCH_BATCH alerts per
 * request (10,000, about 4.7 MB), and any SIGHTLINE_* variable, passed on to the server
 * (e.g. SIGHTLINE_INGEST_MAX_IN_FLIGHT_BYTES). Prints the server's RSS before, at its peak and at
 * the end, the answers by status, and `/readyz` latencies (median, max, any that failed).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { startSightline, stopAllProcesses } from '../helpers/processes.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function batchBody(): Buffer {
  const startsAt = new Date().toISOString();
  const alerts = Array.from({ length: BATCH }, (_, i) => ({
    labels: { alertname: 'OverloadProbe', service: `svc-${i % 50}`, instance: `host-${i}.example:9100`, job: 'node', severity: 'warning' },
    annotations: { summary: `probe alert ${i} of the overload benchmark`, description: 'x'.repeat(200) },
    startsAt,
  }));
  return Buffer.from(JSON.stringify(alerts));
}

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const latencies = [];
let failed = 0;
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  while (!stop) {
    const started = performance.now();
    try {
      const res = await fetch(workerData.url + '/readyz', { signal: AbortSignal.timeout(10000) });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
      latencies.push(performance.now() - started);
    } catch { failed++; latencies.push(performance.now() - started); }
    await new Promise((r) => setTimeout(r, 250));
  }
  parentPort.postMessage({ latencies, failed });
})();
`;

async function main() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('SIGHTLINE_') && v !== undefined)) as Record<string, string>;
  const server = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn', ...env } });
  const pid = server.proc.child.pid as number;
  const body = batchBody();
  console.log(`body ${(body.length / 1e6).toFixed(1)} MB (${BATCH} alerts), ${CONNECTIONS} connections, ${DURATION}s`);
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const probe = new Worker(PROBE, { eval: true, workerData: { url: server.url } });
  const probed = new Promise<{ latencies: number[]; failed: number }>((resolve) => probe.once('message', resolve));

  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = new URL('/api/v2/alerts', server.url);
  const statuses = new Map<string, number>();
  const guarded = new WeakSet<object>();
  const deadline = Date.now() + DURATION * 1000;
  const send = () =>
    new Promise<string>((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      });
      // A refused request's socket may fail while the rest of its body is still being written.
      req.on('socket', (socket) => {
        if (!guarded.has(socket)) socket.on('error', () => {});
        guarded.add(socket);
      });
      req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        const status = await send();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // A refused sender waits a little, as Retry-After asks (shortened for the probe).
        if (status === '429') await new Promise((r) => setTimeout(r, 200));
      }
    }),
  );
  agent.destroy();
  probe.postMessage('stop');
  const { latencies, failed } = await probed;
  clearInterval(sampler);
  const after = rssMiB(pid);
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const max = sorted.at(-1) ?? NaN;
  console.log(`answers: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`rss MiB: before=${before} peak=${peak} end=${after}`);
  console.log(`readyz: probes=${latencies.length} median=${median.toFixed(0)}ms max=${max.toFixed(0)}ms failed=${failed}`);
  await stopAllProcesses();
}

main().catch(async (error) => {
  console.error(error);
  await stopAllProcesses();
  process.exit(1);
});
