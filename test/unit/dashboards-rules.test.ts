/**
 * The Prometheus rules in dashboards/prometheus/: `promtool check rules` and `promtool test rules`
 * (Prometheus 2.42, Debian package `prometheus`) must pass, every alert carries a severity and a
 * summary and description, and the promtool tests cover every alert both firing and not firing.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireBinary } from '../helpers/processes.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RULES_DIR = path.join(ROOT, 'dashboards', 'prometheus');
const TESTS_DIR = path.join(RULES_DIR, 'tests');

const ruleFiles = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.rules.yml'))
  .sort()
  .map((f) => path.join(RULES_DIR, f));
const testFiles = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => path.join(TESTS_DIR, f));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: Rule[] = ruleFiles.flatMap((file) => (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const alertNames = [...new Set(rules.flatMap((r) => (r.alert ? [r.alert] : [])))].sort();

/** promtool's output explains a failure; execFile puts it on the error. */
async function promtool(args: string[]): Promise<string> {
  const binary = requireBinary(['promtool'], 'prometheus');
  try {
    const { stdout, stderr } = await run(binary, args, { cwd: ROOT, timeout: 30_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

describe('Prometheus rules in dashboards/prometheus', () => {
  it('has rule files and promtool tests', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(2);
    expect(testFiles.length).toBeGreaterThanOrEqual(1);
    expect(alertNames.length).toBeGreaterThanOrEqual(8);
  });

  it('passes promtool check rules', async () => {
    const out = await promtool(['check', 'rules', ...ruleFiles]);
    expect(out).not.toMatch(/FAILED|WARNING/);
    expect(out.match(/SUCCESS/g)).toHaveLength(ruleFiles.length);
  });

  it('passes promtool test rules', async () => {
    const out = await promtool(['test', 'rules', ...testFiles]);
    expect(out).not.toMatch(/FAILED/);
    expect(out.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  });

  it('ships an example Prometheus configuration that loads the rules and scrapes agents and server', async () => {
    const file = path.join(RULES_DIR, 'prometheus.example.yml');
    const out = await promtool(['check', 'config', file]);
    expect(out).toContain(`SUCCESS: ${ruleFiles.length} rule files found`);
    const config = parse(readFileSync(file, 'utf8')) as { scrape_configs: { job_name: string }[] };
    expect(config.scrape_configs.map((c) => c.job_name).sort()).toEqual(['sightline', 'sightline-agent']);
  });

  it('gives every alert a severity, a summary and a description', () => {
    for (const rule of rules.filter((r) => r.alert)) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('names recording rules level:metric:operations', () => {
    for (const rule of rules.filter((r) => r.record)) expect(rule.record).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it('tests every alert both firing and not firing', () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    const firingSeverities = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(file, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] }[] }[];
      };
      for (const group of doc.tests) {
        for (const t of group.alert_rule_test ?? []) {
          const expected = t.exp_alerts ?? [];
          if (expected.length === 0) quiet.add(t.alertname);
          else firing.add(t.alertname);
          for (const a of expected) firingSeverities.add(`${t.alertname}/${a.exp_labels?.severity}`);
        }
      }
    }
    for (const name of alertNames) {
      expect(firing.has(name), `${name} has no firing case`).toBe(true);
      expect(quiet.has(name), `${name} has no not-firing case`).toBe(true);
    }
    // Alerts defined at several severities are tested firing at each.
    for (const rule of rules.filter((r) => r.alert)) {
      expect(firingSeverities.has(`${rule.alert}/${rule.labels?.severity}`), `${rule.alert} (${rule.labels?.severity}) never fires in a test`).toBe(true);
    }
  });
});
