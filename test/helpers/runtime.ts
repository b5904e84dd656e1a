/**
 * Builds the real server runtime (real database, real services) around a manual clock,
 * for integration tests through `app.request()`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { inject } from 'vitest';
import { loadConfig, type ServerConfig } from '../../server/src/config.js';
import { createRuntime, type Runtime } from '../../server/src/main.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { createToken } from '../../server/src/services/tokens.js';
import { createTestDatabase, startPostgres } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

/** The dialects this run covers: both, unless PostgreSQL was explicitly skipped locally. */
export function dialects(): Dialect[] {
  return inject('postgresUrl') ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * A PostgreSQL server for tests that need one even when the run skipped the harness's: the
 * harness's if there is one, else one of their own, which `stop` ends.
 */
export async function postgresServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = inject('postgresUrl');
  if (url) return { url, stop: async () => {} };
  const own = await startPostgres();
  return { url: own.url, stop: () => own.stop() };
}

export const T0 = Date.parse('2026-11-21T04:00:00.000Z');

export interface TestServer {
  runtime: Runtime;
  clock: ManualClock;
  tokens: { admin: string; ingest: string; read: string; write: string };
  request(method: string, path: string, options?: { token?: string | null; json?: unknown; body?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Applies every stored event and runs housekeeping, as the background loop would. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(dialect: Dialect, env: Record<string, string> = {}, configYaml?: string): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-test-'));
  const postgresUrl = inject('postgresUrl');
  const databaseUrl = dialect === 'postgres' ? await createTestDatabase(postgresUrl as string) : undefined;
  let file: string | null = null;
  if (configYaml !== undefined) {
    file = path.join(dataDir, 'sightline.yaml');
    writeFileSync(file, configYaml);
  }
  const loaded = loadConfig({ file, env: { SIGHTLINE_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...env } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const config: Readonly<ServerConfig> = loaded.config;
  const clock = new ManualClock(T0);
  const runtime = await createRuntime(config, { clock, log: pino({ level: 'silent' }), defaultMetrics: false });
  const make = async (name: string, scopes: string[]) => {
    const created = await createToken(runtime.handle.db, clock, { name, scopes });
    if (!created.ok) throw new Error(created.error.message);
    return created.value.token;
  };
  const tokens = {
    admin: await make('test-admin', ['admin']),
    ingest: await make('test-ingest', ['ingest']),
    read: await make('test-read', ['read']),
    write: await make('test-write', ['read', 'write']),
  };
  return {
    runtime,
    clock,
    tokens,
    async request(method, url, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const token = options.token === undefined ? tokens.admin : options.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      return runtime.app.request(url, { method, headers, body });
    },
    settle: () => runtime.correlator.drain(),
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
