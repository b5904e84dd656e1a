/**
 * Leader failover: three real server processes share one real PostgreSQL. Load goes to
 * all three (round robin; a request refused by a dead replica is sent to the next one, as
 * a load balancer would), and the leader is killed with `kill -9` mid-load. Every alert
 * that got a 2xx must be stored and correlated, another replica must take the lease
 * within 15 s and carry on, and the incidents must be exactly those one replica makes of
 * the same input: none duplicated, none missing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, queryRows } from '../helpers/postgres.js';
import { postgresServer } from '../helpers/runtime.js';
import { startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

const REQUESTS = 480;
const ALERTS_PER_REQUEST = 10;
/** Requests are paced over LOAD_SECONDS so the load spans the kill and the takeover. */
const LOAD_SECONDS = 16;
const KILL_AT_SECONDS = 3;
const WORKERS = 8;
const TAKEOVER_LIMIT_MS = 15_000;

/** Distinct words per group, so no two groups look alike to the similarity layer. */
const GROUPS = ['checkout', 'payments', 'search', 'catalog', 'auth', 'shipping', 'inventory', 'billing', 'ledger', 'mailer', 'gateway', 'reports'];
const SYMPTOMS = ['LatencyHigh', 'ErrorBurst', 'QueueBacklog', 'PodRestarts', 'CertExpiry', 'DiskPressure', 'ConnRefused', 'ReplicaLag', 'CacheMisses', 'ThreadStarved', 'GcPauses', 'SlowQueries'];
const STARTS_AT = new Date(Date.now() - 60_000).toISOString();

function batch(r: number) {
  const g = r % GROUPS.length;
  const service = GROUPS[g] as string;
  return {
    alerts: Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => ({
      labels: { alertname: `${service[0]?.toUpperCase()}${service.slice(1)}${SYMPTOMS[g]}`, service, instance: `r${r}-a${i}:9100`, severity: 'warning' },
      annotations: { summary: `${SYMPTOMS[g]} seen by ${service} frontends` },
      startsAt: STARTS_AT,
    })),
  };
}

interface Ack {
  request: number;
  replica: number;
  at: number;
}

let postgres: { url: string; stop(): Promise<void> } | null = null;

afterAll(async () => {
  await stopAllProcesses();
  await postgres?.stop();
});

async function postOnce(server: SightlineProcess, r: number): Promise<boolean> {
  try {
    const res = await server.postJson('/api/v1/alerts', batch(r));
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false; // refused or reset: no 2xx, no promise made
  }
}

async function pending(url: string): Promise<number> {
  return Number((await queryRows<{ n: string }>(url, 'select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)'))[0]?.n);
}

/** Incidents as comparable data: ids and times differ between runs, membership must not. */
async function incidentsOf(url: string) {
  const incidents = await queryRows<{ id: string; group_key: string; service: string; status: string; alert_count: number; firing_count: number; title: string }>(
    url,
    'select id, group_key, service, status, alert_count, firing_count, title from incidents',
  );
  const members = await queryRows<{ incident_id: string; instance: string }>(url, "select incident_id, labels::json->>'instance' as instance from alerts");
  const byIncident = new Map<string, string[]>();
  for (const m of members) byIncident.set(String(m.incident_id), [...(byIncident.get(String(m.incident_id)) ?? []), m.instance]);
  return incidents
    .map((i) => ({
      groupKey: i.group_key,
      service: i.service,
      title: i.title,
      status: i.status,
      alertCount: Number(i.alert_count),
      firingCount: Number(i.firing_count),
      members: (byIncident.get(String(i.id)) ?? []).sort(),
    }))
    .sort((a, b) => a.groupKey.localeCompare(b.groupKey) || a.members.join().localeCompare(b.members.join()));
}

async function leaderOf(server: SightlineProcess): Promise<{ replica: { id: string; leader: boolean }; leader: { replicaId: string | null; epoch: number } | null }> {
  return server.getJson('/api/v1/cluster');
}

describe('leader failover on PostgreSQL', () => {
  it('keeps every acknowledged alert and the same incidents when the leader is killed mid-load', { timeout: 120_000 }, async () => {
    postgres = await postgresServer();
    const serverUrl = postgres.url;
    const clusterUrl = await createTestDatabase(serverUrl);
    const referenceUrl = await createTestDatabase(serverUrl);
    const env = (id: string, url: string) => ({ DATABASE_URL: url, SIGHTLINE_REPLICA_ID: id, SIGHTLINE_LOG_LEVEL: 'info' });

    // The first start migrates the schema; the other two join it.
    const replicas: SightlineProcess[] = [await startSightline({ env: env('replica-1', clusterUrl) })];
    replicas.push(...(await Promise.all([startSightline({ env: env('replica-2', clusterUrl) }), startSightline({ env: env('replica-3', clusterUrl) })])));
    const first = await waitFor('a leader to be elected', async () => {
      const view = await leaderOf(replicas[0] as SightlineProcess);
      return view.leader?.replicaId ? view.leader : null;
    });
    const leaderIndex = Number(first.replicaId?.replace('replica-', '')) - 1;
    const leader = replicas[leaderIndex] as SightlineProcess;
    const survivors = replicas.filter((_, i) => i !== leaderIndex);

    // Paced load on all three replicas; a refused request goes to the next replica.
    const acks: Ack[] = [];
    const unacked: number[] = [];
    const began = Date.now();
    let next = 0;
    const worker = async () => {
      for (let r = next++; r < REQUESTS; r = next++) {
        const due = began + (r * LOAD_SECONDS * 1000) / REQUESTS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        let acked = false;
        for (let attempt = 0; attempt < 12 && !acked; attempt++) {
          const target = (r + attempt) % replicas.length;
          acked = await postOnce(replicas[target] as SightlineProcess, r);
          if (acked) acks.push({ request: r, replica: target, at: Date.now() });
          else await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (!acked) unacked.push(r);
      }
    };

    // Kill the leader mid-load, then watch the survivors until one of them leads.
    const failover = (async () => {
      await new Promise((resolve) => setTimeout(resolve, KILL_AT_SECONDS * 1000));
      const killedAt = Date.now();
      const exit = await leader.kill();
      const successor = await waitFor(
        'a surviving replica to take the lease',
        async () => {
          for (const s of survivors) {
            const view = await leaderOf(s).catch(() => null);
            if (view?.replica.leader) return { view, at: Date.now() };
          }
          return null;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      return { exit, killedAt, takeoverMs: successor.at - killedAt, view: successor.view };
    })();

    await Promise.all(Array.from({ length: WORKERS }, worker));
    const { exit, killedAt, takeoverMs, view } = await failover;
    expect(exit).toMatchObject({ signal: 'SIGKILL' });
    const newLeader = replicas[Number(view.replica.id.replace('replica-', '')) - 1] as SightlineProcess;
    const newEpoch = view.leader?.epoch ?? 0;
    const leaderless = acks.filter((a) => a.at > killedAt && a.at < killedAt + takeoverMs);
    process.stdout.write(
      `failover: killed leader ${first.replicaId} (epoch ${first.epoch}) ${((killedAt - began) / 1000).toFixed(1)} s into the load; ` +
        `${view.replica.id} took the lease (epoch ${newEpoch}) after ${(takeoverMs / 1000).toFixed(2)} s; ` +
        `${leaderless.length} requests acknowledged by the survivors meanwhile; ${acks.length}/${REQUESTS} requests acknowledged in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    expect(newEpoch).toBeGreaterThan(first.epoch);
    // The kill landed mid-load, and the survivors kept ingesting while nobody led.
    expect(acks.filter((a) => a.at < killedAt).length).toBeGreaterThan(0);
    expect(acks.filter((a) => a.at > killedAt + takeoverMs).length).toBeGreaterThan(0);
    expect(leaderless.length).toBeGreaterThan(0);
    expect(unacked).toEqual([]);

    // The new leader picks up everything, including what the others stored.
    await waitFor('the new leader to correlate every stored event', async () => (await pending(clusterUrl)) === 0, {
      timeoutMs: 30_000,
      describe: () => newLeader?.proc.output().slice(-3000) ?? '',
    });
    expect(newLeader.proc.output()).toMatch(/leadership acquired \(epoch \d+\)/);
    const metrics = await Promise.all(survivors.map(async (s) => (await fetch(`${s.url}/metrics`).then((r) => r.text())).match(/^sightline_leader (\d)$/m)?.[1]));
    expect(metrics.sort()).toEqual(['0', '1']);

    // Every acknowledged alert is in the log and in the alert state.
    const logged = new Set((await queryRows<{ instance: string }>(clusterUrl, "select labels::json->>'instance' as instance from alert_events")).map((r) => r.instance));
    const stored = new Set((await queryRows<{ instance: string }>(clusterUrl, "select labels::json->>'instance' as instance from alerts")).map((r) => r.instance));
    const missing = acks.flatMap((a) => Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => `r${a.request}-a${i}:9100`)).filter((x) => !logged.has(x) || !stored.has(x));
    expect(missing).toEqual([]);
    expect(logged.size).toBe(REQUESTS * ALERTS_PER_REQUEST);
    expect(stored.size).toBe(REQUESTS * ALERTS_PER_REQUEST);

    const clustered = await incidentsOf(clusterUrl);
    for (const s of survivors) await s.stop();

    // The same input through one replica on a fresh database.
    const single = await startSightline({ env: env('reference', referenceUrl) });
    next = 0;
    const failed: number[] = [];
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let r = next++; r < REQUESTS; r = next++) if (!(await postOnce(single, r))) failed.push(r);
      }),
    );
    expect(failed).toEqual([]);
    await waitFor('the single replica to correlate everything', async () => (await pending(referenceUrl)) === 0, { timeoutMs: 30_000 });
    const reference = await incidentsOf(referenceUrl);
    await single.stop();

    expect(reference).toHaveLength(GROUPS.length);
    expect(reference.every((i) => i.alertCount === (REQUESTS / GROUPS.length) * ALERTS_PER_REQUEST)).toBe(true);
    expect(clustered).toEqual(reference);
  });
});
