/**
 * `sightline change record`, the built command line as a pipeline runs it, against a real server
 * (the runtime of the other tests, served on a loopback port).
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'server', 'src', 'cli.js');

/** Runs the CLI without blocking this process, which serves the requests it makes. */
function sightline(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.each(dialects())('sightline change record on %s', (dialect) => {
  let s: TestServer;
  let http: ServerType;
  let url: string;

  beforeAll(async () => {
    s = await startTestServer(dialect);
    http = serve({ fetch: s.runtime.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => http.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    await s?.close();
  });

  const changeRow = (id: number) => s.runtime.handle.db.selectFrom('changes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('records a deploy as the README writes it and prints its id', async () => {
    const out = await sightline(
      ['change', 'record', '--server', url, '--service', 'checkout', '--summary', 'v2.3.1', '--kind', 'deploy', '--version', 'v2.3.1', '--author', 'ci', '--link', 'https://ci.example.com/pipelines/77', '--label', 'environment=production', '--started-at', '2026-11-21T03:50:00Z', '--finished-at', '2026-11-21T03:55:00Z'],
      { SIGHTLINE_TOKEN: s.tokens.write },
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const id = Number(out.stdout.trim());
    expect(await changeRow(id)).toMatchObject({
      service: 'checkout',
      summary: 'v2.3.1',
      kind: 'deploy',
      version: 'v2.3.1',
      author: 'ci',
      started_at: Date.parse('2026-11-21T03:50:00Z'),
      finished_at: Date.parse('2026-11-21T03:55:00Z'),
      links: JSON.stringify([{ href: 'https://ci.example.com/pipelines/77' }]),
      labels: JSON.stringify({ environment: 'production' }),
      source: 'cli',
    });
  });

  it('runs the README’s pipeline example as written, against this server', async () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Changes\n'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^export SIGHTLINE_TOKEN=…/);
    expect(lines[1]).toMatch(/^npx sightline change record --server http:\/\/localhost:8080 /);
    const script = [`npx() { shift; "${process.execPath}" "${cli}" "$@"; }`, `export SIGHTLINE_TOKEN=${s.tokens.write}`, (lines[1] as string).replace('http://localhost:8080', url)].join('\n');
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 }, (error, stdout) => resolve({ code: error ? 1 : 0, stdout })),
    );
    expect(out.code).toBe(0);
    expect(await changeRow(Number(out.stdout.trim()))).toMatchObject({ service: 'checkout', summary: 'v2.3.1', kind: 'deploy', version: 'v2.3.1', links: JSON.stringify([{ href: 'https://ci.example.com/pipelines/77' }]), source: 'cli' });
  });

  it('declares a maintenance window from its start for --maintenance', async () => {
    const out = await sightline(['change', 'record', '--service', 'payments', '--summary', 'PostgreSQL 16 upgrade', '--kind', 'infrastructure', '--started-at', '2026-11-21T05:00:00Z', '--maintenance', '2h'], { SIGHTLINE_URL: url, SIGHTLINE_TOKEN: s.tokens.write });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('maintenance window on payments until 2026-11-21T07:00:00.000Z (2 silences)\n');
    const id = Number(out.stdout.trim());
    expect(await changeRow(id)).toMatchObject({ finished_at: Date.parse('2026-11-21T07:00:00Z') });
    const silences = await s.runtime.handle.db.selectFrom('silences').selectAll().where('comment', '=', `Maintenance: PostgreSQL 16 upgrade (change ${id})`).execute();
    expect(silences.map((x) => [x.kind, Number(x.starts_at), Number(x.ends_at)])).toEqual(Array(2).fill(['maintenance', Date.parse('2026-11-21T05:00:00Z'), Date.parse('2026-11-21T07:00:00Z')]));
  });

  it('says what went wrong: the server’s refusal, an unreachable server, a missing token or option', async () => {
    const refused = await sightline(['change', 'record', '--server', url, '--service', 'checkout', '--summary', 'x'], { SIGHTLINE_TOKEN: s.tokens.read });
    expect(refused).toMatchObject({ code: 1, stderr: 'sightline: the server refused the change (403): this token lacks the write scope\n' });
    const invalid = await sightline(['change', 'record', '--server', url, '--service', 'not a service', '--summary', 'x'], { SIGHTLINE_TOKEN: s.tokens.write });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^sightline: the server refused the change \(400\): invalid change: service: /);
    // A port nothing listens on: taken, then given back.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await sightline(['change', 'record', '--server', `http://127.0.0.1:${port}`, '--service', 'checkout', '--summary', 'x'], { SIGHTLINE_TOKEN: s.tokens.write });
    expect(unreachable).toMatchObject({ code: 1, stderr: `sightline: cannot reach the server at http://127.0.0.1:${port}: ECONNREFUSED\n` });
    expect(await sightline(['change', 'record', '--server', url, '--service', 'checkout', '--summary', 'x'])).toMatchObject({ code: 2, stderr: 'sightline: set SIGHTLINE_TOKEN to a token with the write scope\n' });
    expect(await sightline(['change', 'record', '--service', 'checkout', '--summary', 'x'], { SIGHTLINE_TOKEN: s.tokens.write })).toMatchObject({ code: 2, stderr: 'sightline: give --server <url> (or set SIGHTLINE_URL)\n' });
    const badTime = await sightline(['change', 'record', '--server', url, '--service', 'checkout', '--summary', 'x', '--started-at', '2026-11-21 03:50'], { SIGHTLINE_TOKEN: s.tokens.write });
    expect(badTime.code).not.toBe(0);
    expect(badTime.stderr).toContain("option '--started-at <time>' argument '2026-11-21 03:50' is invalid");
    const badKind = await sightline(['change', 'record', '--server', url, '--service', 'checkout', '--summary', 'x', '--kind', 'release'], { SIGHTLINE_TOKEN: s.tokens.write });
    expect(badKind.stderr).toContain("argument 'release' is invalid. Allowed choices are deploy, config, feature_flag, infrastructure, other.");
  });
});
