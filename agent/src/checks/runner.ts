/**
 * @module Runs each check on its own interval (first run at start), never overlapping itself;
 * keeps the latest result and when the success state last changed. A check that throws is a
 * failed run, never an escaped exception.
 */
import type { Clock } from '../clock.js';
import type { CheckConfig } from '../config.js';
import type { CheckResult } from './result.js';

export interface CheckState {
  result: CheckResult;
  /** Epoch ms since when `result.success` has held. */
  sinceMs: number;
}

export interface CheckRunner {
  start(): void;
  stop(): Promise<void>;
  /** Runs every check once now (for --once and tests). */
  runAll(): Promise<CheckResult[]>;
  states(): CheckState[];
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

  function loop(check: CheckConfig): void {
    if (!running) return;
    void runAndRecord(check).finally(() => {
      if (!running) return;
      const t = setTimeout(() => loop(check), check.interval);
      t.unref();
      timers.set(check.name, t);
    });
  }

  return {
    start() {
      running = true;
      for (const check of options.checks) loop(check);
    },
    async stop() {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inflight]);
    },
    runAll: () => Promise.all(options.checks.map(runAndRecord)),
    states: () => [...states.values()].sort((a, b) => a.result.name.localeCompare(b.result.name)),
  };
}
