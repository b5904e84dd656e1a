/**
 * The built server when its storage fails: PostgreSQL stopped under requests and started
 * again, and a SQLite data directory on a small real filesystem (tmpfs) that fills up and
 * gets space back. Senders must get 503 with Retry-After (they retry) rather than 500,
 * `/readyz` must say 503 while the database cannot take writes, the log must name the
 * cause once per outage (not a stack trace per request), and the server must recover
 * without a restart.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The server's JSON log lines from character `from` of its output on. */
function logLines(server: SightlineProcess, from = 0): LogLine[] {
  return server.proc
    .output()
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

let sequence = 0;
/** An Alertmanager API v2 batch of `count` new alerts, each with an annotation of `bytes`. */
function batch(count: number, bytes = 100): unknown[] {
  return Array.from({ length: count }, () => {
    sequence += 1;
    return {
      labels: { alertname: 'DiskFilling', instance: `host-${sequence}`, service: 'storage' },
      annotations: { description: `alert ${sequence} `.padEnd(bytes, 'x') },
      startsAt: new Date().toISOString(),
    };
  });
}

async function readyz(server: SightlineProcess): Promise<number> {
  const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  return res.status;
}

/** Requests that are refused while the database is unavailable: each must be a 503 with Retry-After. */
async function expectRefused(server: SightlineProcess, requests: number, cause: RegExp, size: [number, number] = [2, 100]): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const res = await server.postJson('/api/v2/alerts', batch(...size));
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(body.error.code).toBe('UNAVAILABLE');
    expect(body.error.message).toMatch(cause);
  }
}

/** One line when the outage began, naming `cause`; no error lines, no stack traces, no masked cause. */
function expectOneOutageLine(lines: LogLine[], cause: RegExp): void {
  const down = lines.filter((l) => l.msg.startsWith('database unavailable'));
  expect(down.map((l) => l.msg)).toHaveLength(1);
  expect(down[0]?.msg).toMatch(cause);
  expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  expect(JSON.stringify(lines)).not.toContain('no transaction is active');
  expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
}

afterAll(async () => {
  await stopAllProcesses();
});

describe('PostgreSQL stopped while the server runs', () => {
  let pg: PostgresServer | null = null;
  afterAll(async () => {
    await pg?.stop();
  });

  it('answers 503 with Retry-After, is not ready, logs the outage once, and recovers when PostgreSQL is back', async () => {
    pg = await startPostgres();
    const databaseUrl = await createTestDatabase(pg.url);
    const server = await startSightline({ env: { DATABASE_URL: databaseUrl, SIGHTLINE_LEADER_RETRY_INTERVAL: '200ms' } });
    expect((await server.postJson('/api/v2/alerts', batch(5))).status).toBe(200);

    const mark = server.proc.output().length;
    pg.halt();
    await expectRefused(server, 40, /ECONNREFUSED/);
    expect(await readyz(server)).toBe(503);
    // The background loops (leadership, correlator, notifier) keep failing meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await expectRefused(server, 10, /ECONNREFUSED/);
    // The first failure may be a connection that the shutdown cut, before connecting is refused.
    expectOneOutageLine(logLines(server, mark), /57P01: terminating connection due to administrator command|ECONNREFUSED/);

    pg.resume();
    await waitFor('the server to be ready again', async () => (await readyz(server)) === 200, { timeoutMs: 30_000, intervalMs: 250 });
    const res = await server.postJson('/api/v2/alerts', batch(5));
    expect(res.status, await res.text()).toBe(200);
    const after = logLines(server, mark);
    const back = after.filter((l) => l.msg === 'database available again');
    expect(back).toHaveLength(1);
    expect(back[0]?.causes).toContain('ECONNREFUSED');
    expect(after.filter((l) => l.msg.startsWith('database unavailable'))).toHaveLength(1);
    await server.stop();
  }, 120_000);
});

describe('SQLite on a filesystem that fills up', () => {
  const mountpoint = mkdtempSync(path.join(tmpdir(), 'sightline-small-fs-'));
  let mounted = false;
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mountpoint]);
    rmSync(mountpoint, { recursive: true, force: true });
  });

  it('answers 503 naming SQLITE_FULL, is not ready, logs it once, and recovers when space returns', async () => {
    // A real full disk: a 24 MiB tmpfs (mounting needs root, as the CI runs).
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountpoint], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test needs to mount a tmpfs (run as root): ${(error as Error).message}`);
    }
    mounted = true;
    const dataDir = path.join(mountpoint, 'data');
    mkdirSync(dataDir);
    const server = await startSightline({ dataDir });
    expect((await server.postJson('/api/v2/alerts', batch(5))).status).toBe(200);

    // Fill the filesystem with a ballast file, to the last byte.
    const ballast = path.join(mountpoint, 'ballast');
    const fd = openSync(ballast, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }

    const mark = server.proc.output().length;
    // The write-ahead log may still have room for a few batches; the first refusal must be a 503.
    let refused: Response | null = null;
    for (let i = 0; i < 500 && !refused; i++) {
      const res = await server.postJson('/api/v2/alerts', batch(50, 2_000));
      if (res.status === 200) await res.body?.cancel();
      else refused = res;
    }
    expect(refused, 'the disk never filled').not.toBeNull();
    const body = (await refused!.json()) as { error: { message: string } };
    expect(refused!.status, JSON.stringify(body)).toBe(503);
    expect(refused!.headers.get('retry-after')).not.toBeNull();
    expect(body.error.message).toMatch(/SQLITE_FULL/);
    // As large as the batch that filled the disk: a smaller one may still fit in the log's slack.
    await expectRefused(server, 20, /SQLITE_FULL/, [50, 2_000]);
    expect(await readyz(server)).toBe(503);
    expectOneOutageLine(logLines(server, mark), /SQLITE_FULL/);

    rmSync(ballast);
    await waitFor('the server to be ready again', async () => (await readyz(server)) === 200, { timeoutMs: 30_000, intervalMs: 250 });
    const res = await server.postJson('/api/v2/alerts', batch(5));
    expect(res.status, await res.text()).toBe(200);
    const after = logLines(server, mark);
    expect(after.filter((l) => l.msg === 'database available again')).toHaveLength(1);
    expect(after.filter((l) => l.msg.startsWith('database unavailable'))).toHaveLength(1);
    await server.stop();
  }, 120_000);
});
