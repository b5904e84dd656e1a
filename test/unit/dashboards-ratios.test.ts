/**
 * Ratios in the Grafana dashboards whose denominator is a counter's rate or increase: with no
 * event in the window (no incident opened) the division must give no value, not +Inf or NaN.
 * Each such panel query is evaluated by `promtool test rules` (Prometheus 2.42) on input series
 * with and without incidents, with Grafana's variables as the "All" option.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireBinary } from '../helpers/processes.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const GRAFANA_DIR = path.join(ROOT, 'dashboards', 'grafana');
const dir = mkdtempSync(path.join(tmpdir(), 'sightline-dashboard-ratios-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Panel {
  title: string;
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

/** A division whose right-hand side is a sum of a counter's rate or increase. */
const COUNTER_DENOMINATOR = /\/\s*\(?\s*sum\s*\(\s*(?:rate|increase)\s*\(/;

const ratios = readdirSync(GRAFANA_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((file) => {
    const dashboard = JSON.parse(readFileSync(path.join(GRAFANA_DIR, file), 'utf8')) as { panels: Panel[] };
    return dashboard.panels
      .flatMap((p) => [p, ...(p.panels ?? [])])
      .flatMap((p) => (p.targets ?? []).filter((t) => COUNTER_DENOMINATOR.test(t.expr)).map((t) => ({ file, title: p.title, expr: t.expr })));
  });

/** Grafana's variables as an instant query over the last hour with "All" selected. */
const substitute = (expr: string) => expr.replaceAll('$instance', '.*').replaceAll('$__range', '1h').replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '30s');

/** Runs one promtool unit test: the query at 1h over one-minute samples of the given series. */
async function evaluates(expr: string, series: Record<string, string>, expected: { value: number }[]): Promise<string> {
  const file = path.join(dir, `ratio-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    stringify({
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
          promql_expr_test: [{ expr: substitute(expr), eval_time: '60m', exp_samples: expected.map((e) => ({ labels: '{}', value: e.value })) }],
        },
      ],
    }),
  );
  const binary = requireBinary(['promtool'], 'prometheus');
  try {
    const { stdout, stderr } = await run(binary, ['test', 'rules', file], { timeout: 30_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `FAILED\n${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

const ACCEPTED = 'sightline_alerts_ingested_total{job="sightline",instance="sightline:8080",source="api",outcome="accepted"}';
const OPENED = 'sightline_incidents_opened_total{job="sightline",instance="sightline:8080",priority="P2"}';

describe('counter ratios in the dashboards', () => {
  it('include the alerts-per-incident panels', () => {
    expect(ratios.map((r) => r.title)).toEqual(expect.arrayContaining(['Alerts per incident (time range)', 'Alert compression']));
  });

  it.each(ratios)('$title ($file): no value while no incident is opened, not +Inf', async ({ expr }) => {
    // 120 alerts accepted over the hour, incidents stay at 0 (the counter exported from the start).
    const out = await evaluates(expr, { [ACCEPTED]: '0+2x60', [OPENED]: '0x60' }, []);
    expect(out, out).toContain('SUCCESS');
  });

  it.each(ratios)('$title ($file): alerts per incident when incidents open', async ({ expr }) => {
    // 120 alerts and 10 incidents over the hour: 12 alerts per incident.
    const out = await evaluates(expr, { [ACCEPTED]: '0+2x60', [OPENED]: '0+1x10 10x50' }, [{ value: 12 }]);
    expect(out, out).toContain('SUCCESS');
  });
});
