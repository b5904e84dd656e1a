/**
 * Server render time of every web UI page on whatever data a database holds (e.g. after
 * `npx sightline demo`): each page rendered N times in process through the app (database
 * reads included, network excluded), median / p95 / max printed per page.
 *
 * Usage: npm run bench:ui -- [--config sightline.yaml] [--renders 30]
 * The database is the one the configuration names (SIGHTLINE_DATA_DIR, DATABASE_URL, …).
 * Nothing is changed but one UI session row; no background job runs.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../server/src/config.js';
import { createRuntime } from '../../server/src/main.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const renders = Number(option('renders') ?? 30);
const adminToken = `sl_bench-${randomBytes(16).toString('hex')}`;
const loaded = loadConfig({ file: option('config') ?? null, env: { ...process.env, SIGHTLINE_ADMIN_TOKEN: adminToken } });
if (!loaded.ok) {
  console.error(loaded.problems.join('\n'));
  process.exit(2);
}
const runtime = await createRuntime(loaded.config, { log: pino({ level: 'warn' }), defaultMetrics: false });
const base = 'http://bench.local';
try {
  const signIn = await runtime.app.request(`${base}/ui/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ token: adminToken }).toString(),
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`sign-in failed: ${signIn.status}`);
  const get = (path: string) => runtime.app.request(`${base}${path}`, { headers: { cookie } });

  const list = await (await get('/ui/incidents?status=all')).text();
  const incident = /data-incident="(\d+)"/.exec(list)?.[1];
  const capacity = await (await get('/ui/capacity')).text();
  const host = /data-host="([^"]+)"/.exec(capacity)?.[1];
  const candidates = await (await get('/ui/problems/candidates?state=all')).text();
  const candidate = /data-candidate="([^"]+)"/.exec(candidates)?.[1];
  const problems = await (await get('/ui/problems')).text();
  const problem = /data-problem="(\d+)"/.exec(problems)?.[1];
  const pages = [
    '/ui/incidents',
    '/ui/incidents?status=all',
    '/ui/incidents/live',
    ...(incident ? [`/ui/incidents/${incident}`] : []),
    '/ui/problems/candidates',
    '/ui/problems/candidates?state=all',
    ...(candidate ? [`/ui/problems/candidates/${candidate}`] : []),
    '/ui/problems',
    ...(problem ? [`/ui/problems/${problem}`] : []),
    '/ui/sla',
    '/ui/sla?period=1',
    '/ui/sla.csv',
    '/ui/capacity',
    ...(host ? [`/ui/capacity/${encodeURIComponent(host.replaceAll('&amp;', '&'))}`] : []),
    '/ui/agents',
    '/ui/services',
  ];

  const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  console.log(`bench ui: database=${runtime.handle.dialect} renders=${renders} (after 2 warm-up renders)`);
  console.log(`${'page'.padEnd(34)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'kB'.padStart(6)}`);
  for (const path of pages) {
    const times: number[] = [];
    let bytes = 0;
    for (let k = 0; k < renders + 2; k++) {
      const started = performance.now();
      const res = await get(path);
      const body = await res.arrayBuffer();
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      if (k >= 2) times.push(ms);
      bytes = body.byteLength;
    }
    times.sort((a, b) => a - b);
    console.log(`${path.slice(0, 34).padEnd(34)} ${pct(times, 50).toFixed(1).padStart(10)} ${pct(times, 95).toFixed(1).padStart(8)} ${(times[times.length - 1] as number).toFixed(1).padStart(8)} ${(bytes / 1024).toFixed(0).padStart(6)}`);
  }
} finally {
  await runtime.close();
}
