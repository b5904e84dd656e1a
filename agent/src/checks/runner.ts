/**
 * @module Runs each check on its own interval, never overlapping itself; keeps the latest result
 * and when the success state last changed. A check that throws is a failed run, never an escaped
 * exception. A restart does not reset a check's timer: given the states saved before it, each
 * check first runs at its last run plus its interval (at once when that has passed), and its
 * latest result and `since` carry on meanwhile.
 */
import type { Clock } from '../clock.js';
import type { CheckConfig } from '../config.js';
import type { CheckResult } from './result.js';

export interface CheckState {
  result: CheckResult;
  /** Epoch ms since when `result.success` has held. */
  sinceMs: number;
}

/** One check's state as saved in the state directory, with what identifies its configuration. */
export interface SavedCheckState extends CheckState {
  /** `checkIdentity` of the configuration that produced it: a changed check starts afresh. */
  identity: string;
}

export interface CheckRunner {
  /** Starts the loops; `saved` (from before a restart) sets each check's first run and state. */
  start(saved?: readonly SavedCheckState[]): void;
  /**
   * Stops the loops; waits up to `graceMs` for runs in flight. A run still going then (a target
   * that never answers, a long timeout) is abandoned: a check result is not owed to anyone.
   */
  stop(graceMs?: number): Promise<void>;
  /** Runs every check once now (for --once and tests). */
  runAll(): Promise<CheckResult[]>;
  states(): CheckState[];
  /** The states to save for the next start. */
  saved(): SavedCheckState[];
}

/**
 * What a check's saved result depends on: everything but its timing and its service label. A
 * check whose URL, target or matcher changed must run at once rather than wait on a stale result.
 */
export function checkIdentity(check: CheckConfig): string {
  const { interval: _interval, timeout: _timeout, service: _service, ...what } = check;
  return JSON.stringify(what);
}

/**
 * Milliseconds until a check's first run after a start: at its last run plus its interval, at once
 * when that is past or it never ran. Never more than one interval, so a clock set back (a last run
 * "in the future") cannot hold a check off for longer than its interval.
 */
export function firstRunDelay(lastRunMs: number | undefined, intervalMs: number, nowMs: number): number {
  if (lastRunMs === undefined) return 0;
  return Math.min(intervalMs, Math.max(0, lastRunMs + intervalMs - nowMs));
}

export function runCheck(check: CheckConfig, procRoot: string, clock: Clock): Promise<CheckResult> {
  // Each kind is imported on first use, so an agent without checks never loads node:https and tls.
  const run = async (): Promise<CheckResult> => {
    switch (check.type) {
      case 'http':
        return (await import('./http.js')).runHttpCheck(check, clock);
      case 'tcp':
        return (await import('./tcp.js')).runTcpCheck(check, clock);
      case 'process':
        return (await import('./process.js')).runProcessCheck(check, procRoot, clock);
    }
  };
  const startedAtMs = clock.now();
  const failed = (error: string): CheckResult => ({ name: check.name, type: check.type, target: '', startedAtMs, durationSeconds: check.timeout / 1000, success: false, error });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    // A last guard: each kind enforces its own timeout; this catches anything that still hangs.
    timer = setTimeout(() => resolve(failed(`timeout after ${check.timeout} ms`)), check.timeout + 1000);
  });
  return Promise.race([run().catch((err: unknown) => failed(String((err as Error)?.message ?? err))), timeout]).finally(() => clearTimeout(timer));
}

export function createCheckRunner(options: { checks: readonly CheckConfig[]; procRoot: string; clock: Clock; onResult?: (r: CheckResult) => void }): CheckRunner {
  const { clock } = options;
  const states = new Map<string, CheckState>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inflight = new Set<Promise<unknown>>();
  let running = false;

  function record(result: CheckResult): void {
    const prev = states.get(result.name);
    const sinceMs = prev && prev.result.success === result.success ? prev.sinceMs : result.startedAtMs;
    states.set(result.name, { result, sinceMs });
    try {
      options.onResult?.(result);
    } catch {
      // Listeners count their own errors; a check loop never dies for them.
    }
  }

  async function runAndRecord(check: CheckConfig): Promise<CheckResult> {
    const p = runCheck(check, options.procRoot, clock);
    inflight.add(p);
    try {
      const result = await p;
      record(result);
      return result;
    } finally {
      inflight.delete(p);
    }
  }

  function schedule(check: CheckConfig, delayMs: number): void {
    const t = setTimeout(() => loop(check), delayMs);
    t.unref();
    timers.set(check.name, t);
  }

  function loop(check: CheckConfig): void {
    if (!running) return;
    void runAndRecord(check).finally(() => {
      if (running) schedule(check, check.interval);
    });
  }

  return {
    start(saved = []) {
      running = true;
      const byName = new Map(saved.map((s) => [s.result.name, s]));
      const now = clock.now();
      for (const check of options.checks) {
        const previous = byName.get(check.name);
        if (previous === undefined || previous.identity !== checkIdentity(check) || previous.result.type !== check.type) {
          loop(check);
          continue;
        }
        states.set(check.name, { result: previous.result, sinceMs: previous.sinceMs });
        const delay = firstRunDelay(previous.result.startedAtMs, check.interval, now);
        if (delay === 0) loop(check);
        else schedule(check, delay);
      }
    },
    async stop(graceMs = Number.POSITIVE_INFINITY) {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      let timer: NodeJS.Timeout | undefined;
      const grace = Number.isFinite(graceMs) ? new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))) : new Promise<void>(() => undefined);
      await Promise.race([Promise.allSettled([...inflight]), grace]);
      clearTimeout(timer);
    },
    runAll: () => Promise.all(options.checks.map(runAndRecord)),
    states: () => [...states.values()].sort((a, b) => a.result.name.localeCompare(b.result.name)),
    saved: () =>
      options.checks.flatMap((check) => {
        const state = states.get(check.name);
        return state ? [{ ...state, identity: checkIdentity(check) }] : [];
      }),
  };
}
