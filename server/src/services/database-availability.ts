/**
 * @module Whether the database can take writes right now. Requests and background loops
 * that fail with a database fault (db/faults.ts: a PostgreSQL server that is down, a full
 * disk, …) report it here instead of logging it, so an outage gives one log line when it
 * starts ("database unavailable: <cause>") and one when it ends ("database available
 * again"), not a stack trace per request. While it lasts, a small write (the probe) is tried
 * every few seconds and by each readiness check; the first that commits ends the outage.
 * Requests keep going to the database meanwhile: nothing waits for a restart.
 */
import type { Logger } from 'pino';
import { databaseFaultOf, type DatabaseFault } from '../db/faults.js';

export type { DatabaseFault };

/** What a loop needs: report an error; the fault when it was one (then handled here), else null. */
export interface DatabaseFaults {
  failed(error: unknown): DatabaseFault | null;
}

export interface DatabaseAvailability extends DatabaseFaults {
  /** The fault while the database is unavailable, else null. */
  fault(): DatabaseFault | null;
  /** For /readyz: null when the database takes writes (probed while it did not), else the fault. */
  check(): Promise<DatabaseFault | null>;
  /** Stops probing. */
  close(): void;
}

export interface AvailabilityOptions {
  /** A write that commits only when the database takes writes. */
  probe(): Promise<void>;
  /** A cheap round trip, for readiness while no fault is known. */
  ping(): Promise<void>;
  probeIntervalMs?: number;
  /** Outages that start sooner than this after the last one logged are counted, not logged. */
  relogIntervalMs?: number;
}

const PROBE_INTERVAL_MS = 2_000;
const RELOG_INTERVAL_MS = 60_000;
/** Distinct causes an outage remembers for its closing line. */
const MAX_CAUSES = 8;

/** The cause as one line: `SQLITE_FULL: database or disk is full`. */
export function describeFault(fault: DatabaseFault): string {
  return fault.message.includes(fault.code) ? fault.message : `${fault.code}: ${fault.message}`;
}

export function createDatabaseAvailability(log: Logger, options: AvailabilityOptions): DatabaseAvailability {
  const probeIntervalMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
  const relogIntervalMs = options.relogIntervalMs ?? RELOG_INTERVAL_MS;
  // Log rate-limiting is about the wall, not the business clock (which tests stop): monotonic time.
  const now = () => performance.now();
  /** The outage: its first fault (what the log line names) and the codes seen since. */
  let current: { fault: DatabaseFault; since: number; logged: boolean; refused: number; codes: Set<string> } | null = null;
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  /** Outages neither logged nor reported since the last line. */
  let quiet = 0;
  let timer: NodeJS.Timeout | null = null;
  let probing: Promise<void> | null = null;
  let closed = false;

  function logDown(): void {
    if (!current) return;
    current.logged = true;
    lastLoggedAt = now();
    const fault = current.fault;
    log.warn({ cause: fault.code, ...(quiet > 0 ? { unloggedOutages: quiet } : {}) }, `database unavailable: ${describeFault(fault)}`);
    quiet = 0;
  }

  function recovered(): void {
    if (!current) return;
    const { since, logged, refused, codes } = current;
    current = null;
    if (timer) clearInterval(timer);
    timer = null;
    if (logged) log.info({ unavailableMs: Math.round(now() - since), failedOperations: refused, causes: [...codes] }, 'database available again');
  }

  function probe(): Promise<void> {
    probing ??= options
      .probe()
      .then(recovered, (error: unknown) => {
        // Still down; a new cause (e.g. the disk filled while the server was away) replaces the old one.
        const fault = databaseFaultOf(error);
        if (current && fault) noteCause(fault);
      })
      .finally(() => (probing = null));
    return probing;
  }

  /** A connection cut by a server shutting down comes first; what follows (ECONNREFUSED) is kept too. */
  function noteCause(fault: DatabaseFault): void {
    if (current && current.codes.size < MAX_CAUSES) current.codes.add(fault.code);
  }

  function failed(error: unknown): DatabaseFault | null {
    const fault = databaseFaultOf(error);
    if (!fault) return null;
    if (current) {
      current.refused++;
      noteCause(fault);
      return fault;
    }
    current = { fault, since: now(), logged: false, refused: 1, codes: new Set([fault.code]) };
    if (now() - lastLoggedAt >= relogIntervalMs) logDown();
    else quiet++;
    if (!closed) {
      timer = setInterval(() => {
        // An outage that began too soon after the last to be logged is logged once it lasts.
        if (current && !current.logged && now() - lastLoggedAt >= relogIntervalMs) {
          quiet--;
          logDown();
        }
        void probe();
      }, probeIntervalMs);
      timer.unref();
    }
    return fault;
  }

  // A function, not `current` itself: TypeScript would keep its narrowing across the awaits below.
  const faultNow = (): DatabaseFault | null => current?.fault ?? null;

  return {
    failed,
    fault: faultNow,
    async check() {
      if (current) {
        await probe();
        return faultNow();
      }
      try {
        await options.ping();
        return null;
      } catch (error) {
        if (failed(error)) return faultNow();
        throw error;
      }
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
