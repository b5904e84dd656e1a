/**
 * @module Local alert rules: a threshold on any series (node_*, probe_*, sightline_* or a derived
 * signal below), held for `for`, firing once and resolving when it clears. Pure: evaluation takes
 * the families, the previous states and `now`, and returns new states and the alerts to send.
 */
import type { CheckState } from './checks/runner.js';
import type { NativeAlert } from './contract.js';
import type { RuleConfig } from './config.js';
import type { Family, Labels } from './series.js';
import type { HostSnapshot } from './snapshot.js';

/** The shipped defaults; a configured rule with the same `alert` name replaces one. */
export const DEFAULT_RULES: RuleConfig[] = [
  {
    alert: 'FilesystemAlmostFull',
    metric: 'sightline_filesystem_used_ratio',
    match: {},
    op: '>',
    threshold: 0.9,
    for: 300_000,
    severity: 'warning',
    summary: 'Filesystem {{ $labels.mountpoint }} is {{ $percent }} % used',
  },
  {
    alert: 'MemoryAvailableLow',
    metric: 'sightline_memory_available_ratio',
    match: {},
    op: '<',
    threshold: 0.1,
    for: 300_000,
    severity: 'warning',
    summary: 'Only {{ $percent }} % of memory is available',
  },
  {
    alert: 'CpuSaturated',
    metric: 'sightline_cpu_saturation_ratio',
    match: {},
    op: '>',
    threshold: 1.5,
    for: 600_000,
    severity: 'warning',
    summary: 'Run queue is {{ $value }}× the CPU count (1-minute load per CPU)',
  },
  {
    alert: 'CheckFailing',
    metric: 'sightline_check_success',
    match: {},
    op: '==',
    threshold: 0,
    for: 60_000,
    severity: 'critical',
    summary: 'Check {{ $labels.check }} ({{ $labels.target }}) is failing',
  },
];

export function effectiveRules(defaults: boolean, configured: readonly RuleConfig[]): RuleConfig[] {
  const names = new Set(configured.map((r) => r.alert));
  return [...(defaults ? DEFAULT_RULES.filter((r) => !names.has(r.alert)) : []), ...configured];
}

/**
 * Signals the defaults need that are not plain series: df's Use% (used / (used + avail)), the
 * MemAvailable share, 1-minute load per CPU, and check state as 0/1.
 */
export function derivedFamilies(snapshot: HostSnapshot | undefined, checks: readonly CheckState[], checkServices: ReadonlyMap<string, string>): Family[] {
  const out: Family[] = [];
  if (snapshot?.filesystems) {
    out.push({
      name: 'sightline_filesystem_used_ratio',
      type: 'gauge',
      help: 'Share of the filesystem in use as df shows it: used / (used + available to non-root).',
      samples: snapshot.filesystems
        .filter((f) => f.deviceError === 0 && f.sizeBytes > 0)
        .map((f) => {
          const used = f.sizeBytes - f.freeBytes;
          return { labels: { device: f.device, fstype: f.fstype, mountpoint: f.mountpoint }, value: used + f.availBytes > 0 ? used / (used + f.availBytes) : 0 };
        }),
    });
  }
  const mem = new Map((snapshot?.meminfo ?? []).map((f) => [f.name, f.value]));
  const total = mem.get('MemTotal');
  const available = mem.get('MemAvailable');
  if (total !== undefined && available !== undefined && total > 0) {
    out.push({ name: 'sightline_memory_available_ratio', type: 'gauge', help: 'MemAvailable / MemTotal.', samples: [{ labels: {}, value: available / total }] });
  }
  if (snapshot?.load && snapshot.stat && snapshot.stat.cpus.length > 0) {
    out.push({
      name: 'sightline_cpu_saturation_ratio',
      type: 'gauge',
      help: '1-minute load average per CPU.',
      samples: [{ labels: {}, value: snapshot.load.load1 / snapshot.stat.cpus.length }],
    });
  }
  out.push({
    name: 'sightline_check_success',
    type: 'gauge',
    help: 'Latest result of each check (1 success, 0 failure).',
    samples: checks.map((c) => {
      const labels: Labels = { check: c.result.name, type: c.result.type, target: c.result.target };
      const service = checkServices.get(c.result.name);
      if (service !== undefined) labels.service = service;
      return { labels, value: c.result.success ? 1 : 0 };
    }),
  });
  return out;
}

export interface RuleState {
  alertname: string;
  labels: Labels;
  /** When the condition first held (epoch ms). */
  activeSinceMs: number;
  /** When the alert fired (epoch ms), once `for` had passed. */
  firedAtMs?: number;
  value: number;
  annotations: Record<string, string>;
}

export interface RuleContext {
  host: string;
  /** `service` label when neither the rule nor the series names one. */
  service: string;
}

function compare(op: RuleConfig['op'], value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function render(template: string, labels: Labels, value: number): string {
  const rounded = Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  return template
    .replace(/\{\{\s*\$value\s*\}\}/g, rounded)
    .replace(/\{\{\s*\$percent\s*\}\}/g, (value * 100).toFixed(1))
    .replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => labels[name] ?? '');
}

/** A stable key for a rule and the series labels it matched. */
export function stateKey(alertname: string, labels: Labels): string {
  return `${alertname}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}

export function evaluateRules(
  rules: readonly RuleConfig[],
  families: readonly Family[],
  previous: ReadonlyMap<string, RuleState>,
  now: number,
  context: RuleContext,
): { states: Map<string, RuleState>; alerts: NativeAlert[] } {
  const byName = new Map(families.map((f) => [f.name, f]));
  const states = new Map<string, RuleState>();
  const alerts: NativeAlert[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();

  for (const rule of rules) {
    const family = byName.get(rule.metric);
    const mine = [...previous.entries()].filter(([, s]) => s.alertname === rule.alert);
    if (!family) {
      // No data this cycle (a collector failed): keep what we had rather than flap.
      for (const [k, s] of mine) states.set(k, s);
      continue;
    }
    const seen = new Set<string>();
    for (const sample of family.samples) {
      if (!Object.entries(rule.match).every(([k, v]) => sample.labels[k] === v)) continue;
      if (!compare(rule.op, sample.value, rule.threshold)) continue;
      const labels: Labels = {
        ...sample.labels,
        alertname: rule.alert,
        host: context.host,
        severity: rule.severity,
        service: rule.service ?? sample.labels.service ?? context.service,
      };
      const key = stateKey(rule.alert, labels);
      seen.add(key);
      const prev = previous.get(key);
      const state: RuleState = {
        alertname: rule.alert,
        labels,
        activeSinceMs: prev?.activeSinceMs ?? now,
        value: sample.value,
        annotations: {
          summary: render(rule.summary ?? `${rule.metric} ${rule.op} ${rule.threshold}`, labels, sample.value),
          value: String(sample.value),
        },
        ...(prev?.firedAtMs !== undefined ? { firedAtMs: prev.firedAtMs } : {}),
      };
      if (state.firedAtMs === undefined && now - state.activeSinceMs >= rule.for) {
        state.firedAtMs = now;
        state.annotations.activeSince = iso(state.activeSinceMs);
        alerts.push({ labels, annotations: state.annotations, status: 'firing', startsAt: iso(now) });
      } else if (prev?.annotations.activeSince !== undefined) {
        state.annotations.activeSince = prev.annotations.activeSince;
      }
      states.set(key, state);
    }
    for (const [key, s] of mine) {
      if (seen.has(key) || s.firedAtMs === undefined) continue;
      alerts.push({ labels: s.labels, annotations: s.annotations, status: 'resolved', startsAt: iso(s.firedAtMs), endsAt: iso(now) });
    }
  }
  // States of rules that no longer exist (config changed across a restart) resolve too.
  const ruleNames = new Set(rules.map((r) => r.alert));
  for (const s of previous.values()) {
    if (!ruleNames.has(s.alertname) && s.firedAtMs !== undefined) {
      alerts.push({ labels: s.labels, annotations: s.annotations, status: 'resolved', startsAt: iso(s.firedAtMs), endsAt: iso(now) });
    }
  }
  return { states, alerts };
}
