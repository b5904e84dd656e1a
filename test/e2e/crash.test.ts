/**
 * Durability under a crash: concurrent ingest, `kill -9` mid-load, restart on the same
 * data directory. Every alert whose request got a 2xx must be stored and correlated
 * after the restart, and replaying the uncommitted correlator work must not open a
 * second incident for any group.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

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

afterAll(async () => {
  await stopAllProcesses();
});

describe('crash during ingest', () => {
  it('keeps every acknowledged alert and opens exactly one incident per group after kill -9 and restart', { timeout: 60_000 }, async () => {
    const first = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
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

    const second = await startSightline({ dataDir, env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    const db = new Database(second.databaseFile, { readonly: true, fileMustExist: true });
    try {
      await waitFor(
        'the correlator to apply every stored event after the restart',
        () => (db.prepare('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)').get() as { n: number }).n === 0,
        { timeoutMs: 30_000, describe: () => second.proc.output().slice(-4000) },
      );

      // Every acknowledged alert is in the event log and in the alert state.
      const stored = new Set(
        (db.prepare("select json_extract(labels, '$.instance') as instance from alerts where source = 'api'").all() as { instance: string }[]).map((r) => r.instance),
      );
      const logged = new Set(
        (db.prepare("select json_extract(labels, '$.instance') as instance from alert_events where source = 'api'").all() as { instance: string }[]).map((r) => r.instance),
      );
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
      const groups = db
        .prepare('select group_key, count(*) as incidents, sum(alert_count) as alert_count, sum(firing_count) as firing_count from incidents group by group_key order by group_key')
        .all() as { group_key: string; incidents: number; alert_count: number; firing_count: number }[];
      const perService = db.prepare("select service, count(*) as n from alerts where source = 'api' group by service").all() as { service: string; n: number }[];
      const expected = perService.map((s) => ({ group_key: `service=${s.service}`, incidents: 1, alert_count: s.n, firing_count: s.n })).sort((a, b) => a.group_key.localeCompare(b.group_key));
      expect(groups).toEqual(expected);
      expect(groups).toHaveLength(SERVICES);
      const unattached = db.prepare('select count(*) as n from alerts where incident_id is null').get() as { n: number };
      expect(unattached.n).toBe(0);

      // The API agrees with the database.
      const page = await second.getJson<{ items: { service: string; status: string; alertCount: number }[] }>('/api/v1/incidents?limit=500');
      expect(page.items).toHaveLength(SERVICES);
      expect(page.items.every((i) => i.status === 'open')).toBe(true);
      expect(page.items.reduce((sum, i) => sum + i.alertCount, 0)).toBe(stored.size);

      // A sender that never saw its answers retries everything: idempotent, nothing counted twice.
      const retry = await load(second, startsAt, () => {});
      expect(retry.failed).toEqual([]);
      await waitFor(
        'the correlator to apply the retries',
        () => (db.prepare('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)').get() as { n: number }).n === 0,
        { timeoutMs: 30_000, describe: () => second.proc.output().slice(-4000) },
      );
      const total = REQUESTS * ALERTS_PER_REQUEST;
      // The log keeps every copy; each alert once, in one incident, counted once.
      expect(db.prepare("select count(*) as n from (select distinct fingerprint, starts_at from alert_events where source = 'api')").get()).toEqual({ n: total });
      expect(db.prepare("select count(*) as n from alerts where source = 'api'").get()).toEqual({ n: total });
      expect(db.prepare('select count(*) as incidents, sum(alert_count) as alerts, max(alert_count) as largest from incidents').get()).toEqual({
        incidents: SERVICES,
        alerts: total,
        largest: total / SERVICES,
      });
    } finally {
      db.close();
    }
    await second.stop();
  });
});
