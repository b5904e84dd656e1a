/**
 * @module A policy's metric SLIs measured from Prometheus for the current period (see
 * sla/metric-sli.ts): range queries over the HTTP API, one per slice window, good and total
 * in parallel. A Prometheus that cannot be reached or refuses a query gives the SLI an
 * `error`, never a failed request.
 */
import type { SlaPolicy, TimeInterval } from '../domain/sla.js';
import { computeRatioSli, sliceQueries, type RangeQueryWindow, type RatioSli } from '../sla/metric-sli.js';
import { periodContaining } from '../sla/periods.js';

const QUERY_TIMEOUT_MS = 10_000;

export interface MetricSliReport {
  name: string;
  objectivePpm: number;
  /** The slices read: [period start, measuredUntil). */
  period: { start: number; end: number };
  measuredUntil: number;
  /** Null when Prometheus could not be read. */
  ratio: RatioSli | null;
  error: string | null;
}

/** The sum of every value of a range query (NaN and missing points count nothing). */
async function sumRange(prometheusUrl: string, query: string, window: RangeQueryWindow, stepMs: number): Promise<number> {
  const base = prometheusUrl.replace(/\/+$/, '');
  const params = new URLSearchParams({ query, start: String(window.start / 1000), end: String(window.end / 1000), step: `${stepMs / 1000}s` });
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/query_range`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  } catch (error) {
    // The cause's code (ECONNREFUSED, ENOTFOUND) or message.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message);
    throw new Error(`cannot reach Prometheus${detail ? ` (${detail})` : ''}`);
  }
  const body = (await res.json().catch(() => null)) as { status?: string; error?: string; data?: { result?: { values?: [number, string][] }[] } } | null;
  if (!res.ok || body?.status !== 'success') throw new Error(`Prometheus answered ${res.status}${body?.error ? `: ${body.error}` : ''}`);
  let sum = 0;
  for (const series of body.data?.result ?? []) for (const [, value] of series.values ?? []) if (Number.isFinite(Number(value))) sum += Number(value);
  return sum;
}

/** Every metric SLI of `policy` over `period` (default: the one containing `now`) up to `now`; empty without metric SLIs. */
export async function measureMetricSlis(policy: SlaPolicy, now: number, period: TimeInterval = periodContaining(policy.period, now)): Promise<MetricSliReport[]> {
  const metrics = policy.metrics;
  if (!metrics) return [];
  const { windows, measuredUntil } = sliceQueries(period, now, metrics.stepMs);
  const seconds = metrics.stepMs / 1000;
  return Promise.all(
    metrics.slis.map(async (sli): Promise<MetricSliReport> => {
      const objectivePpm = sli.objectivePpm ?? policy.objectivePpm;
      const base = { name: sli.name, objectivePpm, period, measuredUntil };
      const total = (query: string) => Promise.all(windows.map((w) => sumRange(metrics.prometheusUrl, `sum(increase(${query}[${seconds}s]))`, w, metrics.stepMs))).then((sums) => sums.reduce((a, b) => a + b, 0));
      try {
        const [good, all] = await Promise.all([total(sli.good), total(sli.total)]);
        return { ...base, ratio: computeRatioSli(good, all, objectivePpm), error: null };
      } catch (error) {
        return { ...base, ratio: null, error: (error as Error).message };
      }
    }),
  );
}
