/**
 * @module Prometheus rules for the metric SLIs of SLA policies, in the manner of Sloth and
 * Pyrra: recording rules for the error ratio over each burn-rate window, and the multiwindow,
 * multi-burn-rate alerts of the Google SRE Workbook ("Alerting on SLOs"): 1h/5m at 14.4×,
 * 6h/30m at 6×, 1d/2h at 3× and 3d/6h at 1× the allowed error ratio, for a 30-day period
 * (other periods scale the thresholds with their length, as Sightline's own evaluation does).
 *
 * An alert fires when the error ratio over both its long and its short window is above
 * threshold × (1 − objective). With no traffic the ratio is NaN and nothing fires.
 */
import type { ServiceDefinition } from '../domain/service.js';
import { PPM, type MetricSli, type SlaPolicy } from '../domain/sla.js';
import { BURN_RATE_RULES, BURN_WINDOWS, type BurnWindow } from './burn-rate.js';
import { nominalBurnThreshold } from './openslo.js';

export const ERROR_RATIO_RECORD = (window: BurnWindow) => `sightline_slo:error_ratio:rate${window}`;
export const BURN_ALERT = 'SightlineErrorBudgetBurn';

const WINDOWS = Object.keys(BURN_WINDOWS) as BurnWindow[];
const SEVERITY = { page: 'critical', ticket: 'warning' } as const;

interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}
interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** The allowed error ratio × threshold, to six significant digits (0.0144 for 14.4 at 99.9 %). */
export function errorRatioThreshold(threshold: number, objectivePpm: number): number {
  return Number(((threshold * (PPM - objectivePpm)) / PPM).toPrecision(6));
}

function sliRules(service: string, policy: SlaPolicy, sli: MetricSli): RuleGroup {
  const labels = { sightline_service: service, sightline_sli: sli.name };
  const selector = `{sightline_service="${service}",sightline_sli="${sli.name}"}`;
  const objectivePpm = sli.objectivePpm ?? policy.objectivePpm;
  const recording: RecordingRule[] = WINDOWS.map((w) => ({
    record: ERROR_RATIO_RECORD(w),
    expr: `1 - (sum(rate(${sli.good}[${w}])) / sum(rate(${sli.total}[${w}])))`,
    labels,
  }));
  const alerts: AlertingRule[] = BURN_RATE_RULES.map((rule) => {
    const threshold = nominalBurnThreshold(rule, policy.period);
    const limit = errorRatioThreshold(threshold, objectivePpm);
    return {
      alert: BURN_ALERT,
      expr: `${ERROR_RATIO_RECORD(rule.long)}${selector} > ${limit}\nand\n${ERROR_RATIO_RECORD(rule.short)}${selector} > ${limit}`,
      labels: { severity: SEVERITY[rule.severity], service, ...labels, long_window: rule.long, short_window: rule.short, burn_rate: String(threshold) },
      annotations: {
        summary: `${service} ${sli.name}: error budget burning over ${threshold}× too fast`,
        description: `The error ratio of ${sli.name} is above ${limit} (${threshold} × the ${((PPM - objectivePpm) / 10_000).toString()} % allowed) over both ${rule.long} and ${rule.short}.`,
      },
    };
  });
  return { name: `sightline-slo-${service}-${sli.name}`, rules: [...recording, ...alerts] };
}

/** One rule group per metric SLI of every service with one, services by name. */
export function prometheusSloRules(services: readonly ServiceDefinition[]): { groups: RuleGroup[] } {
  const sorted = [...services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { groups: sorted.flatMap((s) => (s.sla?.metrics?.slis ?? []).map((sli) => sliRules(s.name, s.sla as SlaPolicy, sli))) };
}
