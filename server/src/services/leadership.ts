/**
 * @module Leadership: which replica runs the correlator and the periodic jobs.
 *
 * On PostgreSQL several replicas share one database. Every replica ingests and serves
 * reads; exactly one at a time holds a lease row in the database and runs the single
 * writer (the correlator) and the periodic jobs. The holder renews the lease every
 * `renewIntervalMs`; followers try to take it every `retryIntervalMs`; a lease not
 * renewed for `leaseTtlMs` (by the database's clock) can be taken over. Each change of
 * holder raises the lease's epoch, and fenced transactions confirm, just before they
 * commit, that this replica still holds the lease at the epoch it won: a leader that
 * was paused past its lease and wakes up cannot commit correlator work any more.
 *
 * On SQLite there is one process, and it is always the leader.
 *
 * Before `start()` a leadership is "standalone": the process acts alone (tests driving
 * the correlator by hand, one-shot commands) and is neither elected nor fenced.
 */
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { DatabaseHandle } from '../db/connection.js';
import { claimLease, findLease, holdsLease, limitIdleInTransaction, releaseLease } from '../db/leader-lease-repo.js';
import type { Database } from '../db/schema.js';
import type { DatabaseFaults } from './database-availability.js';

/** The one lease there is: the correlator and the periodic jobs go together. */
export const LEADER_LEASE = 'leader';

export interface LeadershipOptions {
  replicaId: string;
  leaseTtlMs: number;
  renewIntervalMs: number;
  retryIntervalMs: number;
  /** Takes database faults (an outage is logged once, not per retry). */
  faults?: DatabaseFaults;
}

/** Outcomes as values, for a metrics collector. */
export interface LeadershipMetrics {
  leading(isLeader: boolean): void;
  changed(event: 'acquired' | 'lost'): void;
}

const noMetrics: LeadershipMetrics = { leading: () => {}, changed: () => {} };

/** Thrown inside a fenced transaction when this replica no longer holds the lease: the work is rolled back. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
}

/**
 * Guards a transaction that only the leader may commit: `enter` first thing in the
 * transaction, `confirm` last thing before the commit. Either throws `LeadershipLostError`.
 */
export interface TransactionFence {
  enter(trx: Transaction<Database>): Promise<void>;
  confirm(trx: Transaction<Database>): Promise<void>;
}

export interface LeaderView {
  mode: 'lease' | 'single-process';
  replicaId: string;
  /** This replica runs the correlator and the periodic jobs. */
  leader: boolean;
  /** The lease as the database holds it (null on SQLite, or before anyone took it). */
  lease: { holder: string | null; epoch: number; acquiredAt: number; renewedAt: number; expiresAt: number; databaseNow: number } | null;
}

export interface Leadership {
  readonly replicaId: string;
  readonly mode: LeaderView['mode'];
  /** True while this replica leads (and in the standalone state before `start()`). */
  isLeader(): boolean;
  readonly fence: TransactionFence;
  /**
   * Called on every change, in order, never two at once: start the leader's work on true,
   * stop it (and wait for it) on false. Returns a function that removes the listener.
   */
  onChange(listener: (leading: boolean) => void | Promise<void>): () => void;
  describe(): Promise<LeaderView>;
  /** Joins the election (PostgreSQL) or becomes the leader (SQLite). */
  start(): void;
  /** Stops the listeners' work, then releases the lease so a follower takes over at once. */
  stop(): Promise<void>;
}

type State = 'standalone' | 'follower' | 'leader';

export function createLeadership(handle: DatabaseHandle, options: LeadershipOptions, log: Logger, metrics: LeadershipMetrics = noMetrics): Leadership {
  if (options.renewIntervalMs >= options.leaseTtlMs) throw new Error('the lease renew interval must be shorter than the lease TTL');
  const { replicaId } = options;
  const listeners = new Set<(leading: boolean) => void | Promise<void>>();
  let state: State = 'standalone';
  let epoch: number | null = null;
  let transitions: Promise<void> = Promise.resolve();

  /** Runs the listeners for one change, after those of the previous change finished. */
  function announce(leading: boolean): Promise<void> {
    metrics.leading(leading);
    transitions = transitions.then(async () => {
      for (const listener of [...listeners]) {
        try {
          await listener(leading);
        } catch (error) {
          log.error({ err: error, leading }, 'leadership: a job failed to start or stop');
        }
      }
    });
    return transitions;
  }

  const base = {
    replicaId,
    onChange(listener: (leading: boolean) => void | Promise<void>) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };

  if (handle.dialect === 'sqlite') {
    // One process owns the file: nothing to elect, nothing to fence.
    let started = false;
    return {
      ...base,
      mode: 'single-process',
      isLeader: () => true,
      fence: { enter: async () => {}, confirm: async () => {} },
      async describe() {
        return { mode: 'single-process', replicaId, leader: true, lease: null };
      },
      start() {
        if (started) return;
        started = true;
        log.info({ replica: replicaId }, 'leadership: single process on SQLite, running the correlator and periodic jobs');
        void announce(true);
      },
      async stop() {
        if (!started) return;
        started = false;
        await announce(false);
      },
    };
  }

  let timer: NodeJS.Timeout | null = null;
  let attempt: Promise<void> | null = null;
  let stopped = false;
  /** Monotonic time at which the last successful claim was sent: the lease runs at least ttl from then. */
  let lastClaimAt = 0;
  let lastSeenHolder: string | null | undefined;

  function become(leading: boolean, detail: Record<string, unknown>, message: string): void {
    const was = state;
    state = leading ? 'leader' : 'follower';
    if ((was === 'leader') === leading) return;
    metrics.changed(leading ? 'acquired' : 'lost');
    if (leading) log.info({ replica: replicaId, epoch, ...detail }, message);
    else log.warn({ replica: replicaId, epoch, ...detail }, message);
    void announce(leading);
  }

  async function claim(): Promise<void> {
    const sentAt = performance.now();
    try {
      const lease = await claimLease(handle.db, handle.dialect, LEADER_LEASE, replicaId, options.leaseTtlMs, state === 'leader' ? epoch : null);
      if (stopped) return;
      if (lease) {
        lastClaimAt = sentAt;
        lastSeenHolder = replicaId;
        if (state === 'leader' && epoch !== lease.epoch) {
          // Someone held it in between (we were paused or cut off): whatever we ran is stale.
          become(false, { newEpoch: lease.epoch }, 'leadership lost while this replica was unresponsive; starting a new term');
        }
        if (state !== 'leader') {
          epoch = lease.epoch;
          become(true, { leaseTtlMs: options.leaseTtlMs }, `leadership acquired (epoch ${lease.epoch}): this replica now runs the correlator and the periodic jobs`);
        }
        return;
      }
      if (state === 'leader') become(false, {}, 'leadership lost: another replica holds the lease; stopping the correlator and the periodic jobs');
      const current = await findLease(handle.db, handle.dialect, LEADER_LEASE);
      if (current && current.holder !== lastSeenHolder) {
        lastSeenHolder = current.holder;
        log.info({ replica: replicaId, leader: current.holder, epoch: current.epoch }, `following leader ${current.holder ?? '(none)'} (epoch ${current.epoch})`);
      }
    } catch (error) {
      if (stopped) return;
      if (!options.faults?.failed(error)) log.warn({ err: error, replica: replicaId }, 'leadership: could not reach the lease; will retry');
      // Without a renewal the lease may have run out: stop leading before someone else starts.
      if (state === 'leader' && performance.now() - lastClaimAt >= options.leaseTtlMs) {
        become(false, {}, 'leadership lost: the lease could not be renewed before it expired; stopping the correlator and the periodic jobs');
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    const delay = state === 'leader' ? options.renewIntervalMs : options.retryIntervalMs;
    timer = setTimeout(() => {
      timer = null;
      attempt = claim().finally(() => {
        attempt = null;
        schedule();
      });
    }, delay);
    timer.unref();
  }

  return {
    ...base,
    mode: 'lease',
    isLeader: () => state !== 'follower',
    fence: {
      async enter(trx) {
        if (state === 'follower') throw new LeadershipLostError(`replica ${replicaId} is not the leader`);
        // A paused leader must not keep its locks for longer than its lease would have lasted.
        if (state === 'leader') await limitIdleInTransaction(trx, handle.dialect, options.leaseTtlMs);
      },
      async confirm(trx) {
        if (state === 'standalone') return;
        if (state !== 'leader' || epoch === null || !(await holdsLease(trx, handle.dialect, LEADER_LEASE, replicaId, epoch))) {
          throw new LeadershipLostError(`replica ${replicaId} no longer holds the leader lease at epoch ${epoch ?? '-'}; its work was rolled back`);
        }
      },
    },
    async describe() {
      const lease = await findLease(handle.db, handle.dialect, LEADER_LEASE);
      return { mode: 'lease', replicaId, leader: state === 'leader', lease: lease && { holder: lease.holder, epoch: lease.epoch, acquiredAt: lease.acquiredAt, renewedAt: lease.renewedAt, expiresAt: lease.expiresAt, databaseNow: lease.databaseNow } };
    },
    start() {
      if (state !== 'standalone' || stopped) return;
      state = 'follower';
      metrics.leading(false);
      log.info({ replica: replicaId, leaseTtlMs: options.leaseTtlMs, renewIntervalMs: options.renewIntervalMs, retryIntervalMs: options.retryIntervalMs }, 'leadership: joining the election');
      attempt = claim().finally(() => {
        attempt = null;
        schedule();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (attempt) await attempt;
      const held = state === 'leader' ? epoch : null;
      if (state === 'leader') {
        state = 'follower';
        metrics.changed('lost');
        log.info({ replica: replicaId, epoch }, 'leadership: stepping down (shutting down)');
        await announce(false);
      } else {
        state = 'follower';
        await transitions;
      }
      if (held !== null) {
        try {
          await releaseLease(handle.db, handle.dialect, LEADER_LEASE, replicaId, held);
        } catch (error) {
          log.warn({ err: error }, 'leadership: could not release the lease; it will expire');
        }
      }
    },
  };
}
