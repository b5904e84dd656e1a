/**
 * Runs the HTTP fuzz against a freshly started server process (the built CLI, SQLite in a
 * temp dir, loopback port) and checks the process afterwards: still up, still ready, no
 * token in its output.
 */
import { ADMIN_TOKEN, startSightline, type SightlineProcess } from '../helpers/processes.js';
import { formatFuzzReport, runHttpFuzz, type FuzzOptions, type FuzzReport } from './http-fuzz.js';

export interface LiveFuzzResult {
  report: FuzzReport;
  text: string;
  /** Problems found after the run (the process, readiness, secrets in the log). */
  afterwards: string[];
  server: SightlineProcess;
}

export async function fuzzLiveServer(options: FuzzOptions): Promise<LiveFuzzResult> {
  // warn: the log stays small under thousands of rejected requests; errors still show.
  const server = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
  const token = async (name: string, scopes: string[]) => {
    const res = await server.postJson('/api/v1/tokens', { name, scopes });
    if (res.status !== 201) throw new Error(`token ${name}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const ingestToken = await token('fuzz-ingest', ['ingest']);
  const readToken = await token('fuzz-read', ['read']);
  const pid = server.proc.child.pid as number;
  const report = await runHttpFuzz({ url: server.url, pid, adminToken: ADMIN_TOKEN, ingestToken, readToken, alive: () => server.proc.running }, options);
  const afterwards: string[] = [];
  if (!server.proc.running) afterwards.push(`the server process exited:\n${server.proc.output().slice(-3000)}`);
  else {
    const ready = await fetch(`${server.url}/readyz`).catch(() => null);
    if (ready?.status !== 200) afterwards.push(`GET /readyz answers ${ready?.status ?? 'nothing'} after the run`);
    const ok = await fetch(`${server.url}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ alerts: [{ labels: { alertname: 'AfterFuzz' } }] }) });
    if (ok.status !== 200) afterwards.push(`a valid alert after the run got ${ok.status}`);
  }
  const output = server.proc.output();
  for (const secret of [ADMIN_TOKEN, ingestToken, readToken]) if (output.includes(secret)) afterwards.push('a token appears in the server output');
  const unhandled = output.split('\n').filter((l) => l.includes('unhandled error'));
  if (unhandled.length > 0) afterwards.push(`${unhandled.length} unhandled errors in the server log, first: ${unhandled[0]?.slice(0, 1500)}`);
  return { report, text: formatFuzzReport(report), afterwards, server };
}
