/**
 * A leader that is paused (SIGSTOP) rather than killed: its lease runs out, the other
 * replica takes over and carries on, and when the old leader wakes up (SIGCONT) it must
 * not commit any correlator work from before (fencing epoch), must step down, and must
 * keep serving and ingesting. No alert lost, no incident duplicated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, queryRows } from '../helpers/postgres.js';
import { postgresServer } from '../helpers/runtime.js';
import { startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

const GROUPS = ['orders', 'invoices', 'profiles', 'pricing', 'carts', 'tickets'];
const SYMPTOMS = ['LatencyHigh', 'ErrorBurst', 'QueueBacklog', 'PodRestarts', 'DiskPressure', 'ReplicaLag'];
const ALERTS_PER_REQUEST = 10;
const STARTS_AT = new Date(Date.now() - 60_000).toISOString();

function batch(r: number) {
  const g = r % GROUPS.length;
  const service = GROUPS[g] as string;
  return {
    alerts: Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => ({
      labels: { alertname: `${service}${SYMPTOMS[g]}`, service, instance: `p${r}-a${i}:9100` },
      annotations: { summary: `${SYMPTOMS[g]} seen by ${service}` },
      startsAt: STARTS_AT,
    })),
  };
}

let postgres: { url: string; stop(): Promise<void> } | null = null;

afterAll(async () => {
  await stopAllProcesses();
  await postgres?.stop();
});

const isLeader = async (s: SightlineProcess) => (await s.getJson<{ replica: { leader: boolean } }>('/api/v1/cluster')).replica.leader;

describe('a paused leader on PostgreSQL', () => {
  it('is fenced off after another replica took over, and steps down when it wakes up', { timeout: 90_000 }, async () => {
    postgres = await postgresServer();
    const serverUrl = postgres.url;
    const url = await createTestDatabase(serverUrl);
    const env = (id: string) => ({ DATABASE_URL: url, SIGHTLINE_REPLICA_ID: id, SIGHTLINE_LOG_LEVEL: 'info' });
    const a = await startSightline({ env: env('replica-a') });
    await waitFor('replica-a to lead', () => isLeader(a));
    const b = await startSightline({ env: env('replica-b') });

    // Steady load on both, so the leader's correlator is busy when it is paused.
    let r = 0;
    const acked: number[] = [];
    let paused = false;
    let loading = true;
    const send = async (target: SightlineProcess, n: number) => {
      try {
        const res = await target.postJson('/api/v1/alerts', batch(n));
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) acked.push(n);
      } catch {
        // no 2xx, no promise made
      }
    };
    const loop = async () => {
      while (loading) {
        const n = r++;
        // While a is paused its requests would hang; a load balancer's health check takes it out.
        await send(paused || n % 2 === 1 ? b : a, n);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, loop));

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    paused = true;
    a.proc.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    await waitFor('replica-b to take over', () => isLeader(b), { timeoutMs: 30_000, intervalMs: 50 });
    const takeoverMs = Date.now() - pausedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    a.proc.child.kill('SIGCONT');
    const resumedAt = Date.now();
    paused = false;
    await waitFor('replica-a to step down', async () => (await isLeader(a)) === false, { timeoutMs: 15_000, intervalMs: 50, describe: () => a.proc.output().slice(-4000) });
    const steppedDownMs = Date.now() - resumedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    loading = false;
    await load;

    expect(a.proc.running).toBe(true);
    expect(await isLeader(b)).toBe(true);
    await waitFor('the new leader to correlate everything', async () => Number((await queryRows<{ n: string }>(url, 'select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)'))[0]?.n) === 0, {
      timeoutMs: 30_000,
    });
    const aLog = a.proc.output();
    const fenced = (aLog.match(/correlator pass discarded/g) ?? []).length;
    process.stdout.write(
      `paused leader: replica-b took over ${(takeoverMs / 1000).toFixed(2)} s after SIGSTOP; replica-a stepped down ${(steppedDownMs / 1000).toFixed(2)} s after SIGCONT` +
        ` (${fenced} correlator pass(es) of replica-a rolled back by the fence); ${acked.length} requests acknowledged\n`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(15_000);
    expect(aLog).toMatch(/leadership lost/);

    // Every acknowledged alert stored and correlated; exactly one incident per group, holding all of it.
    const stored = new Set((await queryRows<{ instance: string }>(url, "select labels::json->>'instance' as instance from alerts")).map((x) => x.instance));
    const missing = acked.flatMap((n) => Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => `p${n}-a${i}:9100`)).filter((x) => !stored.has(x));
    expect(missing).toEqual([]);
    const groups = await queryRows<{ group_key: string; incidents: string; alerts: string }>(
      url,
      'select group_key, count(*) as incidents, sum(alert_count) as alerts from incidents group by group_key order by group_key',
    );
    const perService = await queryRows<{ service: string; n: string }>(url, 'select service, count(*) as n from alerts group by service order by service');
    expect(groups.map((g) => ({ key: g.group_key, incidents: Number(g.incidents), alerts: Number(g.alerts) }))).toEqual(
      perService.map((s) => ({ key: `service=${s.service}`, incidents: 1, alerts: Number(s.n) })),
    );
    expect(groups).toHaveLength(GROUPS.length);
    const unattached = await queryRows<{ n: string }>(url, 'select count(*) as n from alerts where incident_id is null');
    expect(Number(unattached[0]?.n)).toBe(0);
  });
});
