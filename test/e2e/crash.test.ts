/**
 * Durability under a crash, on SQLite and on PostgreSQL: concurrent ingest, `kill -9`
 * mid-load, restart on the same database. Every alert whose request got a 2xx must be stored
 * and correlated after the restart, replaying the uncommitted correlator work must not open a
 * second incident for any group, and the derived state must equal what `sightline replay
 * --rebuild` computes from the same log.
 */
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { readDerivedState } from '../helpers/derived-state.js';
import { createTestDatabase, queryRows } from '../helpers/postgres.js';
import { postgresServer } from '../helpers/runtime.js';
import { SIGHTLINE_CLI, startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

const SERVICES = 16;
const CONNECTIONS = 16;
const REQUESTS = 480;
const ALERTS_PER_REQUEST = 10;
/** Kill once this many requests were acknowledged: well inside the load. */
const KILL_AFTER_ACKS = 160;

interface Outcome {
  acked: number[];
  failed: number[];
}

/** Request `r` carries alerts r-0 … r-9, all for service `crash-svc-(r mod 16)`. */
function batch(r: number, startsAt: string) {
  return {
    alerts: Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => ({
      labels: { alertname: 'CrashLoad', service: `crash-svc-${r % SERVICES}`, instance: `r${r}-a${i}:9100`, severity: 'warning' },
      annotations: { summary: `request ${r} alert ${i}` },
      startsAt,
    })),
  };
}

/** Sends REQUESTS batches over CONNECTIONS concurrent loops; calls `onAck` after each 2xx. */
async function load(server: SightlineProcess, startsAt: string, onAck: (acked: number) => void): Promise<Outcome> {
  const outcome: Outcome = { acked: [], failed: [] };
  let next = 0;
  const worker = async () => {
    for (let r = next++; r < REQUESTS; r = next++) {
      try {
        const res = await server.postJson('/api/v1/alerts', batch(r, startsAt));
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) {
          outcome.acked.push(r);
          onAck(outcome.acked.length);
        } else {
          outcome.failed.push(r);
        }
      } catch {
        // Connection reset or refused: the server is gone. No 2xx, no promise made.
        outcome.failed.push(r);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return outcome;
}

let postgres: { url: string; stop(): Promise<void> } | null = null;

afterAll(async () => {
  await stopAllProcesses();
  await postgres?.stop();
});

/** Reads the database the servers use, on either engine; numbers come back as numbers. */
interface Reader {
  all<T>(text: string): Promise<T[]>;
  /** `labels` → the alert's instance label. */
  instance: string;
  close(): void;
}

function sqliteReader(file: string): Reader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return { all: async <T>(text: string) => db.prepare(text).all() as T[], instance: "json_extract(labels, '$.instance')", close: () => db.close() };
}

function postgresReader(url: string): Reader {
  const numeric = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) && k !== 'instance' && k !== 'group_key' && k !== 'service' ? Number(v) : v]));
  return { all: async <T>(text: string) => (await queryRows<Record<string, unknown>>(url, text)).map(numeric) as T[], instance: "labels::json->>'instance'", close: () => {} };
}

/** `sightline replay --rebuild` on the crashed-and-recovered database, as documented. */
function rebuild(dataDir: string, databaseUrl: string | null) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', SIGHTLINE_LOG_LEVEL: 'warn' };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const result = spawnSync(process.execPath, [SIGHTLINE_CLI, 'replay', '--rebuild', '--data-dir', dataDir], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(['sqlite', 'postgres'] as const)('crash during ingest on %s', (dialect) => {
  it('keeps every acknowledged alert, opens exactly one incident per group and matches a rebuild from the log after kill -9 and restart', { timeout: 120_000 }, async () => {
    let databaseUrl: string | null = null;
    if (dialect === 'postgres') {
      postgres ??= await postgresServer();
      databaseUrl = await createTestDatabase(postgres.url);
    }
    const env = { SIGHTLINE_LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
    const first = await startSightline({ env });
    const dataDir = first.dataDir;
    const startsAt = new Date(Date.now() - 60_000).toISOString();

    let killed: Promise<unknown> | null = null;
    const outcome = await load(first, startsAt, (acked) => {
      if (acked >= KILL_AFTER_ACKS && !killed) killed = first.kill();
    });
    const exit = await (killed ?? first.kill());
    expect(exit).toMatchObject({ signal: 'SIGKILL' });
    // The kill landed mid-load: some requests were acknowledged, the rest were not.
    expect(outcome.acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(outcome.failed.length).toBeGreaterThan(0);
    expect(outcome.acked.length + outcome.failed.length).toBe(REQUESTS);

    // PostgreSQL: the restarted replica takes the dead one's lease once it expires (10 s).
    const second = await startSightline({ dataDir, env });
    const db = databaseUrl ? postgresReader(databaseUrl) : sqliteReader(second.databaseFile);
    const count = async (text: string) => Number((await db.all<{ n: number }>(text))[0]?.n);
    const pendingEvents = () => count('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)');
    let third: SightlineProcess | null = null;
    try {
      await waitFor('the correlator to apply every stored event after the restart', async () => (await pendingEvents()) === 0, {
        timeoutMs: 40_000,
        describe: () => second.proc.output().slice(-4000),
      });

      // Every acknowledged alert is in the event log and in the alert state.
      const stored = new Set((await db.all<{ instance: string }>(`select ${db.instance} as instance from alerts where source = 'api'`)).map((r) => r.instance));
      const logged = new Set((await db.all<{ instance: string }>(`select ${db.instance} as instance from alert_events where source = 'api'`)).map((r) => r.instance));
      const missing: string[] = [];
      for (const r of outcome.acked) {
        for (let i = 0; i < ALERTS_PER_REQUEST; i++) {
          const instance = `r${r}-a${i}:9100`;
          if (!stored.has(instance) || !logged.has(instance)) missing.push(instance);
        }
      }
      expect(missing).toEqual([]);
      // Nothing beyond what was sent: a request in flight at the kill is stored whole or not at all.
      expect(stored.size).toBe(logged.size);
      expect(stored.size % ALERTS_PER_REQUEST).toBe(0);
      expect(stored.size).toBeGreaterThanOrEqual(outcome.acked.length * ALERTS_PER_REQUEST);

      // Exactly one incident per service, and it holds every alert of that service.
      const groups = (
        await db.all<{ group_key: string; incidents: number; alert_count: number; firing_count: number }>(
          'select group_key, count(*) as incidents, sum(alert_count) as alert_count, sum(firing_count) as firing_count from incidents group by group_key',
        )
      ).sort((a, b) => a.group_key.localeCompare(b.group_key));
      const perService = await db.all<{ service: string; n: number }>("select service, count(*) as n from alerts where source = 'api' group by service");
      const expected = perService.map((s) => ({ group_key: `service=${s.service}`, incidents: 1, alert_count: s.n, firing_count: s.n })).sort((a, b) => a.group_key.localeCompare(b.group_key));
      expect(groups).toEqual(expected);
      expect(groups).toHaveLength(SERVICES);
      expect(await count('select count(*) as n from alerts where incident_id is null')).toBe(0);

      // The API agrees with the database.
      const page = await second.getJson<{ items: { service: string; status: string; alertCount: number }[] }>('/api/v1/incidents?limit=500');
      expect(page.items).toHaveLength(SERVICES);
      expect(page.items.every((i) => i.status === 'open')).toBe(true);
      expect(page.items.reduce((sum, i) => sum + i.alertCount, 0)).toBe(stored.size);

      // The derived state is exactly what the log gives: the server stops, the rebuild folds
      // the whole log again and stores the result, and nothing differs.
      expect(await second.stop()).toMatchObject({ code: 0 });
      const recovered = await readDerivedState({ dataDir, databaseUrl }, { processingTimes: false });
      const out = rebuild(dataDir, databaseUrl);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^Rebuilt the derived state from \d+ alert events/m);
      expect(await readDerivedState({ dataDir, databaseUrl }, { processingTimes: false })).toEqual(recovered);

      // A sender that never saw its answers retries everything: idempotent, nothing counted twice
      // (and a server carries on from the rebuilt state).
      third = await startSightline({ dataDir, env });
      const retry = await load(third, startsAt, () => {});
      expect(retry.failed).toEqual([]);
      await waitFor('the correlator to apply the retries', async () => (await pendingEvents()) === 0, { timeoutMs: 40_000, describe: () => third?.proc.output().slice(-4000) ?? '' });
      const total = REQUESTS * ALERTS_PER_REQUEST;
      // The log keeps every copy; each alert once, in one incident, counted once.
      expect(await count("select count(*) as n from (select distinct fingerprint, starts_at from alert_events where source = 'api') as e")).toBe(total);
      expect(await count("select count(*) as n from alerts where source = 'api'")).toBe(total);
      expect(await db.all('select count(*) as incidents, sum(alert_count) as alerts, max(alert_count) as largest from incidents')).toEqual([
        {
          incidents: SERVICES,
          alerts: total,
          largest: total / SERVICES,
        },
      ]);
    } finally {
      db.close();
    }
    await third?.stop();
  });
});
