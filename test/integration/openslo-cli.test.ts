/**
 * `sightline slo export | import | rules` as a user runs them (the built CLI, a SQLite file),
 * and the rules checked by Prometheus's own `promtool`: `check rules`, then `test rules` with
 * unit tests generated here, showing each burn-rate alert fire just above its threshold and
 * stay quiet just below it, and the short window ending a page once errors stop.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceEntry } from '../../server/src/domain/service.js';
import { exportOpenSlo } from '../../server/src/sla/openslo.js';
import { SLA_VECTOR_SERVICES_YAML } from '../fixtures/sla-vector-services.js';
import { requireBinary, SIGHTLINE_CLI } from '../helpers/processes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sightline-slo-cli-'));
const dataDir = path.join(dir, 'data');
const exported = exportOpenSlo(parse(SLA_VECTOR_SERVICES_YAML).services.map((s: unknown) => ServiceEntry.parse(s)));

function sightline(args: string[]) {
  const result = spawnSync(process.execPath, [SIGHTLINE_CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SIGHTLINE_DATA_DIR: dataDir }, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function promtool(args: string[]) {
  const result = spawnSync(requireBinary(['promtool'], 'prometheus'), args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => process.env.KEEP_SLO_DIR || rmSync(dir, { recursive: true, force: true }));

interface AlertRule {
  alert?: string;
  record?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('sightline slo', () => {
  const file = path.join(dir, 'slo.yaml');
  writeFileSync(file, exported);

  it('imports an OpenSLO file (dry run first) and exports it again byte for byte', () => {
    expect(sightline(['migrate']).code).toBe(0);
    expect(sightline(['slo', 'export']).stdout).toBe('');
    const dry = sightline(['slo', 'import', file, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringMatching(/^would create 16 \(Payments_API\.v2, v1-thirty-days, .*\), would update 0 \(none\); dry run, nothing written\n$/) });
    expect(sightline(['slo', 'export']).stdout).toBe('');
    expect(sightline(['slo', 'import', file])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^create 16 /) });
    expect(sightline(['slo', 'export']).stdout).toBe(exported);
    expect(sightline(['slo', 'export', '--service', 'v7-schedule']).stdout).toMatch(/^---\napiVersion: openslo\/v1\nkind: Service\nmetadata:\n  name: v7-schedule\n/);
    expect(sightline(['slo', 'export', '--service', 'ghost'])).toMatchObject({ code: 1, stderr: 'sightline: no service named ghost\n' });
  }, 60_000);

  it('refuses a file with problems, lists them all and writes nothing', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, exported.replace('target: 0.999\n', 'target: 99.9\n').replace('duration: 1w', 'duration: 1d'));
    const out = sightline(['slo', 'import', bad]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${bad}: 2 problems, nothing imported:\n`);
    expect(out.stderr).toMatch(/- document \d+ \(SLO v1-thirty-days-availability\): spec\.objectives\.0\.target: must be a ratio above 0 and below 1/);
    expect(out.stderr).toMatch(/- document \d+ \(SLO v7-schedule-availability\): spec\.timeWindow\.0\.duration: a calendar window is 1w, 1M or 1Q/);
    expect(sightline(['slo', 'export']).stdout).toBe(exported);
  }, 60_000);

  it('writes rules that promtool accepts, and whose alerts fire at the right burn rates', () => {
    const out = sightline(['slo', 'rules']);
    expect(out.code).toBe(0);
    writeFileSync(path.join(dir, 'rules.yml'), out.stdout);
    const check = promtool(['check', 'rules', 'rules.yml']);
    expect(check.output).toContain('SUCCESS: 22 rules found');
    expect(check.code).toBe(0);

    const groups = (parse(out.stdout) as { groups: { name: string; rules: AlertRule[] }[] }).groups;
    expect(groups.map((g) => g.name)).toEqual(['sightline-slo-v10-requests-requests', 'sightline-slo-v10-requests-fast-requests']);
    expect(sightline(['slo', 'rules', '--service', 'v1-thirty-days'])).toMatchObject({ code: 1, stderr: 'sightline: service v1-thirty-days has no metric SLIs\n' });

    // Synthetic counters, 1000 requests a minute: `requests` counts 5xx responses as errors
    // (objective 95 %), `fast-requests` requests slower than 0.3 s (objective 99.9 %).
    const series = {
      requests: (errors: number[], perSample: number) => [
        { series: 'http_requests_total{job="api",code="200"}', values: counter(errors.map((e) => perSample - e)) },
        { series: 'http_requests_total{job="api",code="500"}', values: counter(errors) },
      ],
      'fast-requests': (errors: number[], perSample: number) => [
        { series: 'http_request_duration_seconds_bucket{job="api",le="0.3"}', values: counter(errors.map((e) => perSample - e)) },
        { series: 'http_request_duration_seconds_count{job="api"}', values: counter(errors.map(() => perSample)) },
      ],
    };
    // Two files: the day-long windows sampled and evaluated every 15 minutes keep promtool quick.
    const tests: { long: unknown[]; short: unknown[] } = { long: [], short: [] };
    for (const group of groups) {
      const sli = group.rules[0]?.labels.sightline_sli as keyof typeof series;
      const alerts = group.rules.filter((r) => r.alert);
      const limit = (a: AlertRule) => Number(/> ([\d.e-]+)$/m.exec(String((a as { expr?: string }).expr))?.[1]);
      const expected = (firing: AlertRule[]) => firing.map((a) => ({ exp_labels: { alertname: a.alert, ...a.labels }, exp_annotations: a.annotations }));
      for (const alert of alerts) {
        const long = windowMinutes(alert.labels.long_window as string) >= 1440;
        const step = long ? 15 : 1;
        const minutes = windowMinutes(alert.labels.long_window as string) + step;
        for (const factor of [1.05, 0.95]) {
          const ratio = limit(alert) * factor;
          tests[long ? 'long' : 'short'].push({
            name: `${sli}: error ratio ${factor} × the ${alert.labels.long_window}/${alert.labels.short_window} threshold`,
            interval: `${step}m`,
            input_series: series[sli](Array(minutes / step + 1).fill(round(ratio * 1000 * step)), 1000 * step),
            alert_rule_test: [{ eval_time: `${minutes}m`, alertname: alert.alert, exp_alerts: expected(alerts.filter((a) => limit(a) < ratio)) }],
          });
        }
      }
      // Errors well above the fast-burn threshold for an hour, then none: the 5m window ends
      // the 1h/5m page 10 minutes later while the slower rules (30m window and more) still fire.
      const fast = alerts[0] as AlertRule;
      const errors = [0, ...Array(60).fill(round(Math.min(2 * limit(fast), 0.99) * 1000)), ...Array(15).fill(0)];
      tests.short.push({
        name: `${sli}: the short window ends the page once errors stop`,
        interval: '1m',
        input_series: series[sli](errors, 1000),
        alert_rule_test: [
          { eval_time: '60m', alertname: fast.alert, exp_alerts: expected(alerts) },
          { eval_time: '70m', alertname: fast.alert, exp_alerts: expected(alerts.slice(1)) },
        ],
      });
    }
    for (const [name, list, interval] of [['long', tests.long, '15m'], ['short', tests.short, '5m']] as const) {
      writeFileSync(path.join(dir, `rules-${name}.test.yml`), stringify({ rule_files: ['rules.yml'], evaluation_interval: interval, tests: list }, { lineWidth: 0 }));
      const run = promtool(['test', 'rules', `rules-${name}.test.yml`]);
      expect(run.output).toContain('SUCCESS');
      expect(run.code).toBe(0);
    }
  }, 120_000);
});

/** A counter's values, one a minute, from per-minute increments: promtool's explicit list. */
function counter(increments: number[]): string {
  let total = 0;
  return increments.map((step, i) => round(i === 0 ? 0 : (total += step))).join(' ');
}

function round(n: number): number {
  return Number(n.toFixed(6));
}

function windowMinutes(window: string): number {
  const m = /^(\d+)([mhd])$/.exec(window) as RegExpExecArray;
  return Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2] as 'm' | 'h' | 'd'];
}
