/** Local rules: thresholds held for `for`, firing once, resolving when clear; derived signals; defaults. */
import { describe, expect, it } from 'vitest';
import type { CheckState } from '../../agent/src/checks/runner.js';
import { RuleConfig } from '../../agent/src/config.js';
import { AlertsPayload } from '../../agent/src/contract.js';
import { DEFAULT_RULES, derivedFamilies, effectiveRules, evaluateRules, type RuleState } from '../../agent/src/rules.js';
import type { Family } from '../../agent/src/series.js';
import type { HostSnapshot } from '../../agent/src/snapshot.js';

const T0 = Date.parse('2026-11-21T04:00:00.000Z');
const ctx = { host: 'web-1', service: 'host' };
const gauge = (name: string, samples: Family['samples']): Family => ({ name, type: 'gauge', help: '', samples });

function run(rules: RuleConfig[], steps: [number, Family[]][]) {
  let states = new Map<string, RuleState>();
  const events: { at: number; status: string; labels: Record<string, string>; startsAt: string; endsAt?: string; summary?: string }[] = [];
  for (const [at, families] of steps) {
    const r = evaluateRules(rules, families, states, T0 + at, ctx);
    states = r.states;
    for (const a of r.alerts) events.push({ at, status: a.status, labels: a.labels, startsAt: a.startsAt, ...(a.endsAt ? { endsAt: a.endsAt } : {}), summary: a.annotations.summary });
    if (r.alerts.length) expect(AlertsPayload.safeParse({ alerts: r.alerts }).success).toBe(true);
  }
  return events;
}

describe('rule evaluation', () => {
  const rule = RuleConfig.parse({ alert: 'DiskFull', metric: 'used', op: '>', threshold: 0.9, for: '1m', summary: '{{ $labels.mountpoint }} at {{ $percent }} %' });
  const used = (v: number) => [gauge('used', [{ labels: { mountpoint: '/' }, value: v }])];

  it('fires only after the condition has held for `for`, once, and resolves when it clears', () => {
    const events = run([rule], [
      [0, used(0.95)],
      [30_000, used(0.96)],
      [60_000, used(0.97)],
      [75_000, used(0.97)],
      [90_000, used(0.5)],
      [105_000, used(0.5)],
    ]);
    expect(events.map((e) => [e.at, e.status])).toEqual([
      [60_000, 'firing'],
      [90_000, 'resolved'],
    ]);
    expect(events[0]!.labels).toEqual({ mountpoint: '/', alertname: 'DiskFull', host: 'web-1', severity: 'warning', service: 'host' });
    expect(events[0]!.summary).toBe('/ at 97.0 %');
    expect(events[1]!.startsAt).toBe('2026-11-21T04:01:00.000Z');
    expect(events[1]!.endsAt).toBe('2026-11-21T04:01:30.000Z');
  });

  it('restarts the `for` clock when the condition breaks before firing', () => {
    const events = run([rule], [
      [0, used(0.95)],
      [45_000, used(0.5)],
      [60_000, used(0.95)],
      [105_000, used(0.95)],
      [120_000, used(0.95)],
    ]);
    expect(events.map((e) => [e.at, e.status])).toEqual([[120_000, 'firing']]);
  });

  it('keeps state when the metric is missing (a failed collector), resolves when the series is gone', () => {
    const events = run([rule], [
      [0, used(0.95)],
      [60_000, used(0.95)],
      [75_000, []],
      [90_000, used(0.95)],
      [105_000, [gauge('used', [])]],
    ]);
    expect(events.map((e) => [e.at, e.status])).toEqual([
      [60_000, 'firing'],
      [105_000, 'resolved'],
    ]);
  });

  it('ships the four defaults and lets a configured rule replace one by name', () => {
    expect(DEFAULT_RULES.map((r) => r.alert)).toEqual(['FilesystemAlmostFull', 'MemoryAvailableLow', 'CpuSaturated', 'CheckFailing']);
    const custom = RuleConfig.parse({ alert: 'CheckFailing', metric: 'sightline_check_success', op: '==', threshold: 0, for: '5m', severity: 'warning' });
    const rules = effectiveRules(true, [custom]);
    expect(rules.filter((r) => r.alert === 'CheckFailing')).toEqual([custom]);
    expect(effectiveRules(false, [])).toEqual([]);
  });

  it('derives df-style used ratio, available memory, load per CPU and check state; defaults fire on them', () => {
    const snapshot: HostSnapshot = {
      takenAtMs: T0,
      durations: {},
      failed: [],
      filesystems: [{ device: '/dev/vda1', fstype: 'ext4', mountpoint: '/', sizeBytes: 1000, freeBytes: 50, availBytes: 0, files: 1, filesFree: 1, readonly: 0, deviceError: 0 }],
      meminfo: [
        { name: 'MemTotal', value: 1000, bytes: true },
        { name: 'MemAvailable', value: 50, bytes: true },
      ],
      load: { load1: 8, load5: 1, load15: 1 },
      stat: { cpus: [0, 1].map((i) => ({ cpu: String(i), user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 })), bootTime: 0, contextSwitches: 0, forks: 0, interrupts: 0, procsRunning: 0, procsBlocked: 0 },
    };
    const checks: CheckState[] = [{ result: { name: 'api', type: 'http', target: 'http://api/health', success: false, startedAtMs: T0, durationSeconds: 1 }, sinceMs: T0 }];
    const derived = derivedFamilies(snapshot, checks, new Map([['api', 'checkout']]));
    const v = (n: string) => derived.find((f) => f.name === n)!.samples[0]!.value;
    expect([v('sightline_filesystem_used_ratio'), v('sightline_memory_available_ratio'), v('sightline_cpu_saturation_ratio'), v('sightline_check_success')]).toEqual([1, 0.05, 4, 0]);
    const events = run(DEFAULT_RULES, [
      [0, derived],
      [60_000, derived],
      [600_000, derived],
    ]);
    expect(events.map((e) => [e.at, e.labels.alertname])).toEqual([
      [60_000, 'CheckFailing'],
      [600_000, 'FilesystemAlmostFull'],
      [600_000, 'MemoryAvailableLow'],
      [600_000, 'CpuSaturated'],
    ]);
    expect(events[0]!.labels).toMatchObject({ service: 'checkout', severity: 'critical', check: 'api', host: 'web-1' });
  });
});
