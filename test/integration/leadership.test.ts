/**
 * The leader lease on a real database: one holder at a time, takeover of an expired or
 * released lease with a higher epoch, and fencing — a replica that lost the lease cannot
 * commit correlator work, even from a transaction it began while it still led.
 */
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { countPendingEvents } from '../../server/src/db/alert-events-repo.js';
import { openDatabase, type DatabaseHandle } from '../../server/src/db/connection.js';
import { claimLease, findLease, releaseLease } from '../../server/src/db/leader-lease-repo.js';
import { createLeadership, LEADER_LEASE, LeadershipLostError, type Leadership } from '../../server/src/services/leadership.js';
import { waitFor } from '../helpers/processes.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const quiet = pino({ level: 'silent' });

/** Makes the lease look expired, as if its holder had stopped renewing long ago. */
async function expireLease(handle: DatabaseHandle): Promise<void> {
  await handle.db.updateTable('leader_lease').set({ expires_at: 0 }).where('name', '=', LEADER_LEASE).execute();
}

describe.each(dialects())('leader lease on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('has one holder at a time; a takeover raises the epoch, a renewal keeps it', async () => {
    const { db } = s.runtime.handle;
    const a = await claimLease(db, dialect, 'test-lease', 'replica-a', 10_000, null);
    expect(a).toMatchObject({ holder: 'replica-a', epoch: 1 });
    expect((a?.expiresAt ?? 0) - (a?.renewedAt ?? 0)).toBe(10_000);
    expect(await claimLease(db, dialect, 'test-lease', 'replica-b', 10_000, null)).toBeNull();
    expect(await claimLease(db, dialect, 'test-lease', 'replica-a', 10_000, 1)).toMatchObject({ holder: 'replica-a', epoch: 1 });

    await db.updateTable('leader_lease').set({ expires_at: 0 }).where('name', '=', 'test-lease').execute();
    expect(await claimLease(db, dialect, 'test-lease', 'replica-b', 10_000, null)).toMatchObject({ holder: 'replica-b', epoch: 2 });
    expect(await claimLease(db, dialect, 'test-lease', 'replica-a', 10_000, 1)).toBeNull();
    expect(await claimLease(db, dialect, 'test-lease', 'replica-b', 10_000, 2)).toMatchObject({ holder: 'replica-b', epoch: 2 });
    // The same name without the epoch (a restarted process) takes it back at once, in a new term.
    expect(await claimLease(db, dialect, 'test-lease', 'replica-b', 10_000, null)).toMatchObject({ holder: 'replica-b', epoch: 3 });

    // Only the holder at that epoch can release it; once released, anyone takes it at once.
    expect(await releaseLease(db, dialect, 'test-lease', 'replica-b', 2)).toBe(false);
    expect(await releaseLease(db, dialect, 'test-lease', 'replica-b', 3)).toBe(true);
    expect(await findLease(db, dialect, 'test-lease')).toMatchObject({ holder: null, epoch: 3 });
    expect(await claimLease(db, dialect, 'test-lease', 'replica-a', 10_000, null)).toMatchObject({ holder: 'replica-a', epoch: 4 });
  });

  it('shows the leader at GET /api/v1/cluster', async () => {
    const res = await s.request('GET', '/api/v1/cluster', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { mode: string; replica: { id: string; leader: boolean } };
    expect(body.mode).toBe(dialect === 'sqlite' ? 'single-process' : 'lease');
    expect(body.replica.id).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect((await s.request('GET', '/api/v1/cluster', { token: null })).status).toBe(401);
  });
});

describe('leadership on sqlite', () => {
  it('is the one process, always the leader, and never fenced', async () => {
    const s = await startTestServer('sqlite');
    try {
      const seen: boolean[] = [];
      s.runtime.leadership.onChange((leading) => void seen.push(leading));
      expect(s.runtime.leadership.isLeader()).toBe(true);
      s.runtime.leadership.start();
      await waitFor('the leader announcement', () => seen.length === 1);
      await s.runtime.leadership.stop();
      expect(seen).toEqual([true, false]);
      expect(s.runtime.leadership.isLeader()).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe.runIf(dialects().includes('postgres'))('leadership between replicas on postgres', () => {
  let s: TestServer;
  let other: DatabaseHandle;
  const started: Leadership[] = [];
  const timing = { leaseTtlMs: 1_000, renewIntervalMs: 200, retryIntervalMs: 100 };

  function replica(handle: DatabaseHandle, replicaId: string, overrides: Partial<typeof timing> = {}): { leadership: Leadership; changes: boolean[] } {
    const changes: boolean[] = [];
    const leadership = createLeadership(handle, { replicaId, ...timing, ...overrides }, quiet);
    leadership.onChange((leading) => void changes.push(leading));
    started.push(leadership);
    return { leadership, changes };
  }

  beforeAll(async () => {
    s = await startTestServer('postgres');
    other = openDatabase({ dataDir: '/nonexistent', databaseUrl: s.runtime.config.databaseUrl, sqliteSynchronous: 'NORMAL' });
  });
  afterAll(async () => {
    for (const l of started) await l.stop();
    await other?.close();
    await s?.close();
  });

  it('elects one replica, fences the other, and hands over on a clean stop', async () => {
    const a = replica(s.runtime.handle, 'replica-a');
    const b = replica(other, 'replica-b');
    a.leadership.start();
    await waitFor('replica-a to lead', () => a.changes.includes(true), { timeoutMs: 5_000 });
    b.leadership.start();
    await waitFor('replica-b to see the leader', async () => (await b.leadership.describe()).lease?.holder === 'replica-a', { timeoutMs: 5_000 });
    expect(b.leadership.isLeader()).toBe(false);
    expect(b.changes).toEqual([]);

    // A follower's transaction is refused at once; the leader's commits.
    await expect(other.db.transaction().execute((trx) => b.leadership.fence.enter(trx))).rejects.toBeInstanceOf(LeadershipLostError);
    await s.runtime.handle.db.transaction().execute(async (trx) => {
      await a.leadership.fence.enter(trx);
      await a.leadership.fence.confirm(trx);
    });

    const epoch = (await findLease(s.runtime.handle.db, 'postgres', LEADER_LEASE))?.epoch ?? 0;
    await a.leadership.stop();
    expect(a.changes).toEqual([true, false]);
    // Released, not expired: the follower takes over on its next try, well inside the TTL.
    const releasedAt = Date.now();
    await waitFor('replica-b to take over', () => b.changes.includes(true), { timeoutMs: 5_000, intervalMs: 10 });
    expect(Date.now() - releasedAt).toBeLessThan(timing.leaseTtlMs);
    expect(await findLease(s.runtime.handle.db, 'postgres', LEADER_LEASE)).toMatchObject({ holder: 'replica-b', epoch: epoch + 1 });
    await b.leadership.stop();
  });

  it('rolls back the work of a leader that lost the lease while its transaction was open', async () => {
    // Replica c renews rarely, like a process paused between two renewals.
    const c = replica(s.runtime.handle, 'replica-c', { renewIntervalMs: 60_000, leaseTtlMs: 120_000 });
    const d = replica(other, 'replica-d');
    c.leadership.start();
    await waitFor('replica-c to lead', () => c.changes.includes(true), { timeoutMs: 5_000 });
    d.leadership.start();

    const attempt = s.runtime.handle.db.transaction().execute(async (trx) => {
      await c.leadership.fence.enter(trx);
      await sql`insert into configuration_items (kind, name, seen_by, first_seen_at, last_seen_at) values ('host', 'fenced-host', 'test', 1, 1)`.execute(trx);
      // The lease runs out while this transaction is open, and replica-d takes over.
      await expireLease(other);
      await waitFor('replica-d to take over', () => d.changes.includes(true), { timeoutMs: 5_000, intervalMs: 10 });
      await c.leadership.fence.confirm(trx);
    });
    await expect(attempt).rejects.toBeInstanceOf(LeadershipLostError);
    const rows = await s.runtime.handle.db.selectFrom('configuration_items').select('name').where('name', '=', 'fenced-host').execute();
    expect(rows).toEqual([]);
    await c.leadership.stop();
    await d.leadership.stop();
  });

  it('keeps the correlator from committing once another replica holds the lease', async () => {
    const { runtime } = s;
    const me = runtime.leadership;
    me.start();
    await waitFor('this replica to lead', async () => (await me.describe()).leader, { timeoutMs: 15_000 });
    const send = (instance: string) =>
      s.request('POST', '/api/v1/alerts', {
        token: s.tokens.ingest,
        json: { alerts: [{ labels: { alertname: 'FenceProbe', service: 'fence', instance }, startsAt: new Date(T0).toISOString() }] },
      });
    expect((await send('a:1')).status).toBeLessThan(300);
    await s.settle();
    const pending = () => countPendingEvents(runtime.handle.db);
    expect(await pending()).toBe(0);

    // Another replica takes the lease (this one has not noticed yet): nothing may commit.
    await runtime.handle.db.updateTable('leader_lease').set({ holder: 'usurper', epoch: sql`epoch + 1` }).where('name', '=', LEADER_LEASE).execute();
    expect((await send('a:2')).status).toBeLessThan(300);
    await runtime.correlator.drain();
    expect(await pending()).toBe(1);
    const incidents = await runtime.handle.db.selectFrom('incidents').select(['id', 'alert_count']).execute();
    expect(incidents.map((i) => Number(i.alert_count))).toEqual([1]);
    await me.stop();
  });
});

describe('cluster configuration', () => {
  it('rejects a renew interval that leaves no margin before the lease expires', () => {
    const loaded = loadConfig({ env: { SIGHTLINE_LEADER_LEASE_TTL: '10s', SIGHTLINE_LEADER_RENEW_INTERVAL: '6s' } });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems.join('\n')).toMatch(/cluster\.renewInterval.*at most half of leaseTtl/);
    const fine = loadConfig({ env: { SIGHTLINE_REPLICA_ID: 'eu-1', SIGHTLINE_LEADER_LEASE_TTL: '10s' } });
    expect(fine.ok && fine.config.cluster).toMatchObject({ replicaId: 'eu-1', leaseTtl: 10_000, renewInterval: 3_000, retryInterval: 2_000 });
  });
});
