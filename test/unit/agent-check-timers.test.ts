/**
 * Check timers across restarts: the first run after a start is due at the last run plus the
 * interval (at once when overdue, never ran, or the check changed), and the saved result is shown
 * until then. Timers are vitest's fake ones, so "not yet" is exact, not a wait.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAgent } from '../../agent/src/agent.js';
import { checkIdentity, createCheckRunner, firstRunDelay, type SavedCheckState } from '../../agent/src/checks/runner.js';
import type { CheckResult } from '../../agent/src/checks/result.js';
import type { Clock } from '../../agent/src/clock.js';
import { CheckConfig, parseAgentConfig } from '../../agent/src/config.js';

const PROC = fileURLToPath(new URL('../fixtures/proc/basic/proc', import.meta.url));
const T = Date.parse('2026-11-21T04:00:00.000Z');
const clock: Clock = { now: () => T, monotonic: () => 0 };
const nginx = CheckConfig.parse({ name: 'nginx', type: 'process', processName: 'nginx', interval: '5m' });

function saved(check: CheckConfig, lastRunMs: number, overrides: Partial<SavedCheckState> = {}): SavedCheckState {
  const result: CheckResult = { name: check.name, type: check.type, target: 'nginx', success: false, startedAtMs: lastRunMs, durationSeconds: 0.001 };
  return { result, sinceMs: lastRunMs - 3_600_000, identity: checkIdentity(check), ...overrides };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('first run after a start', () => {
  it.each([
    ['never ran', undefined, 0],
    ['ran 1 min ago, 5 min interval', T - 60_000, 240_000],
    ['ran exactly one interval ago', T - 300_000, 0],
    ['overdue', T - 3_600_000, 0],
    ['clock set back: last run "in the future"', T + 3_600_000, 300_000],
  ])('%s', (_what, lastRun, delay) => {
    expect(firstRunDelay(lastRun, 300_000, T)).toBe(delay);
  });

  it('identifies a check by what it checks, not by its timing or service label', () => {
    const base = checkIdentity(nginx);
    expect(checkIdentity(CheckConfig.parse({ name: 'nginx', type: 'process', processName: 'nginx', interval: '1m', timeout: '1s', service: 'web' }))).toBe(base);
    expect(checkIdentity(CheckConfig.parse({ name: 'nginx', type: 'process', processName: 'nginx-debug', interval: '5m' }))).not.toBe(base);
  });
});

describe('check runner started with saved states', () => {
  function start(saves: SavedCheckState[]) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const runs: CheckResult[] = [];
    const runner = createCheckRunner({ checks: [nginx], procRoot: PROC, clock, onResult: (r) => runs.push(r) });
    runner.start(saves);
    return { runner, runs };
  }

  it('shows the saved result and runs the check at its last run plus the interval, not before', async () => {
    const save = saved(nginx, T - 60_000);
    const { runner, runs } = start([save]);
    expect(runner.states()).toEqual([{ result: save.result, sinceMs: save.sinceMs }]);
    await vi.advanceTimersByTimeAsync(239_999);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    // The fixture's nginx runs: the check now passes, and `since` moves to this run.
    expect(runner.states()[0]).toMatchObject({ result: { name: 'nginx', success: true }, sinceMs: T });
    expect(runner.saved()).toEqual([{ ...runner.states()[0], identity: checkIdentity(nginx) }]);
    await runner.stop();
  });

  it('runs an overdue check at once', async () => {
    const { runner, runs } = start([saved(nginx, T - 301_000)]);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    await runner.stop();
  });

  it('keeps `since` across the restart while the result holds', async () => {
    const save = saved(nginx, T - 301_000, { result: { name: 'nginx', type: 'process', target: 'nginx', success: true, startedAtMs: T - 301_000, durationSeconds: 0.001 } });
    const { runner, runs } = start([save]);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runner.states()[0]).toMatchObject({ result: { success: true, startedAtMs: T }, sinceMs: save.sinceMs });
    await runner.stop();
  });

  it('runs a changed check at once and forgets its old result', async () => {
    const { runner, runs } = start([saved(nginx, T - 60_000, { identity: '{"type":"process","processName":"apache2"}' })]);
    expect(runner.states()).toEqual([]);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    await runner.stop();
  });
});

describe('agent check states on disk', () => {
  it('saves each check after its run and runs the checks at once when the file is damaged', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-check-state-'));
    try {
      const loaded = parseAgentConfig({
        listen: '',
        logLevel: 'silent',
        defaultRules: false,
        procRoot: PROC,
        queue: { dir },
        checks: [{ name: 'nginx', type: 'process', processName: 'nginx', interval: '1h' }],
      });
      if (!loaded.ok) throw new Error(loaded.problems.join());
      const first = createAgent(loaded.config);
      await first.start();
      await vi.waitFor(() => expect(first.checkStates()).toHaveLength(1));
      await first.stop();
      const saved = JSON.parse(readFileSync(path.join(dir, 'check-state.json'), 'utf8'));
      expect(saved).toEqual([{ ...first.checkStates()[0], identity: checkIdentity(loaded.config.checks[0]!) }]);

      writeFileSync(path.join(dir, 'check-state.json'), '{"not": "a list"}');
      const second = createAgent(loaded.config);
      await second.start();
      // Ran afresh (not the 1h timer of the saved run), and the damage is counted, not thrown.
      await vi.waitFor(() => expect(second.checkStates()[0]?.result.startedAtMs).toBeGreaterThan(saved[0].result.startedAtMs));
      expect(await second.metrics()).toContain('sightline_agent_collector_errors_total{collector="state"} 1');
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
