/**
 * Runs the HTTP fuzz against a freshly started server process (the built CLI on a loopback
 * port; SQLite in a temp dir, or the PostgreSQL database given): first the hostile cases,
 * then the generated inputs, then checks the process: still up, still ready, still
 * correlating, no token in its output.
 */
import { ADMIN_TOKEN, startSightline, type SightlineProcess } from '../helpers/processes.js';
import { runHostileCases, type HostileResult } from './hostile.js';
import { formatFuzzReport, runHttpFuzz, type FuzzOptions, type FuzzReport } from './http-fuzz.js';

export interface LiveFuzzResult {
  report: FuzzReport;
  hostile: HostileResult;
  text: string;
  /** Problems found after the run (the process, readiness, secrets in the log). */
  afterwards: string[];
  /** The summary counts: every input tried, 5xx answers, process deaths, stalls. */
  counts: FuzzCounts;
  server: SightlineProcess;
}

export interface FuzzCounts {
  cases: number;
  serverErrors: number;
  crashes: number;
  stalls: number;
}

export function formatCounts(c: FuzzCounts): string {
  return `cases=${c.cases} 5xx=${c.serverErrors} crashes=${c.crashes} stalls=${c.stalls}`;
}

export async function fuzzLiveServer(options: FuzzOptions & { databaseUrl?: string }): Promise<LiveFuzzResult> {
  // warn: the log stays small under thousands of rejected requests; errors still show.
  const env: Record<string, string> = { SIGHTLINE_LOG_LEVEL: 'warn' };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const server = await startSightline({ env });
  const token = async (name: string, scopes: string[]) => {
    const res = await server.postJson('/api/v1/tokens', { name, scopes });
    if (res.status !== 201) throw new Error(`token ${name}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const ingestToken = await token('fuzz-ingest', ['ingest']);
  const readToken = await token('fuzz-read', ['read']);
  const pid = server.proc.child.pid as number;
  const target = { url: server.url, pid, adminToken: ADMIN_TOKEN, ingestToken, readToken, alive: () => server.proc.running };
  const hostile = await runHostileCases(target, options.onProgress);
  const report = server.proc.running ? await runHttpFuzz(target, options) : { endpoints: new Map(), failures: [], rssSamplesMb: [], durationMs: 0 };
  const afterwards: string[] = [];
  let crashes = hostile.crashes;
  let stalls = hostile.stalls;
  if (!server.proc.running) {
    if (crashes === 0) crashes = 1;
    afterwards.push(`the server process exited:\n${server.proc.output().slice(-3000)}`);
  } else {
    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
    if (ready?.status !== 200) afterwards.push(`GET /readyz answers ${ready?.status ?? 'nothing'} after the run`);
    const ok = await fetch(`${server.url}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ alerts: [{ labels: { alertname: 'AfterFuzz' } }] }) });
    if (ok.status !== 200) afterwards.push(`a valid alert after the run got ${ok.status}`);
  }
  const output = server.proc.output();
  for (const secret of [ADMIN_TOKEN, ingestToken, readToken]) if (output.includes(secret)) afterwards.push('a token appears in the server output');
  const unhandled = output.split('\n').filter((l) => l.includes('unhandled error'));
  if (unhandled.length > 0) afterwards.push(`${unhandled.length} unhandled errors in the server log, first: ${unhandled[0]?.slice(0, 1500)}`);
  const generated = [...report.endpoints.values()].reduce((n, e) => n + e.tried, 0);
  const generated5xx = report.failures.filter((f) => typeof f.status === 'number' && f.status >= 500).length;
  stalls += report.failures.filter((f) => typeof f.status === 'string' && /timeout|TimeoutError/.test(f.status)).length;
  const counts = { cases: hostile.requests + generated, serverErrors: hostile.serverErrors + generated5xx, crashes, stalls };
  const hostileText = [`hostile cases: ${hostile.cases} (${hostile.requests} requests)`, ...hostile.problems.map((p) => `  ${p}`)].join('\n');
  return { report, hostile, text: `${hostileText}\n${formatFuzzReport(report)}`, afterwards, counts, server };
}
