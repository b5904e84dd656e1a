/** @module Capacity: hosts worst forecast first with sparklines; one host's charts with the forecast line. */
import type { FC } from 'hono/jsx';
import type { CapacityForecast } from '../../capacity/forecast.js';
import type { HostCapacity, ResourceCapacity } from '../../services/capacity.js';
import { LineChart, Sparkline, type Point } from '../charts.js';
import { describeFullIn, describeHorizon, fullIn, type FullIn } from '../../domain/capacity.js';
import { formatPercent, formatTime } from '../format.js';

const DAY_MS = 86_400_000;
/** How far ahead the forecast line is drawn. */
const FORECAST_DAYS = 14;

export const resourceName = (r: Pick<ResourceCapacity, 'resource' | 'mountpoint'>) => (r.mountpoint ? `${r.resource} ${r.mountpoint}` : r.resource);

const averages = (r: ResourceCapacity) => r.series.map((b) => b.sum / b.count);

function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Red within two weeks, amber within two months. */
const urgency = (f: FullIn) => (f.kind !== 'days' ? undefined : f.days < 14 ? 'bad' : f.days < 60 ? 'warn' : undefined);

/** "full in 5.5 days", "not within a year", or nothing when the resource is not filling. */
const resourceFullIn = (f: FullIn) => (f.kind === 'days' ? `full in ${describeFullIn(f)}` : f.kind === 'beyond-horizon' ? describeFullIn(f) : '');

const shortDays = (d: number) => (d < 10 ? d.toFixed(1) : String(Math.round(d)));

/** " (5.1–6.2 days)" or " (5.1 days or later)": the prediction interval, when the forecast is within the horizon. */
export function describeInterval(forecast: CapacityForecast | null, horizonMs: number): string {
  const b = forecast?.fullBetween;
  if (!b || fullIn(forecast.daysUntilFull, horizonMs).kind !== 'days') return '';
  const high = b.high !== null && fullIn(b.high, horizonMs).kind === 'days' ? b.high : null;
  return high === null ? ` (${shortDays(b.low)} days or later)` : ` (${shortDays(b.low)}–${shortDays(high)} days)`;
}

/** "7 days ago it forecast a 84.0 % peak for today, 85.1 % came: 0.4 days ahead of it (5 %)". */
export function describeBacktest(forecast: CapacityForecast | null): string | null {
  const b = forecast?.backtest;
  if (!b) return null;
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  let error = '';
  if (b.errorDays !== null) {
    const rel = b.errorRatio === null ? '' : ` (${Math.abs(b.errorRatio * 100).toFixed(0)} % of the ${shortDays(b.daysUntilFullThen ?? 0)} days it forecast)`;
    error = `: ${Math.abs(b.errorDays).toFixed(1)} days ${b.errorDays >= 0 ? 'ahead of' : 'behind'} it${rel}`;
  }
  return `Backtest: ${b.madeDaysAgo} days ago the forecast said today's peak would be ${pct(b.predictedPeak)}; it is ${pct(b.observedPeak)}${error}.`;
}

/**
 * One table, a row per resource, the host's cells spanning its rows: every host's resources share
 * the same columns, so names, sparklines and percentages line up down the page (a table nested
 * per host sizes its columns to that host's content alone).
 */
export const CapacityList: FC<{ hosts: HostCapacity[]; horizonMs: number }> = ({ hosts, horizonMs }) => (
  <>
    <h1>Capacity</h1>
    <p class="muted small">
      Hosts with data in the last 30 days, the soonest to fill first. Sparklines show hourly averages. Forecasts further out than {describeHorizon(horizonMs)} read "not within {describeHorizon(horizonMs)}".
    </p>
    {hosts.length === 0 ? <p class="card">No capacity data yet: agents send it over OTLP to <code>/v1/metrics</code>.</p> : null}
    <table class="capacity">
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">Soonest full</th>
          <th scope="col" class="num">Highest p95</th>
          <th scope="col">Resource</th>
          <th scope="col">Hourly utilisation</th>
          <th scope="col" class="num">Latest</th>
          <th scope="col">Forecast</th>
        </tr>
      </thead>
      <tbody>
        {hosts.flatMap((h) => {
          const resources = h.resources.filter((r) => r.resource !== 'network');
          const soonest = fullIn(h.daysUntilFull, horizonMs);
          const span = Math.max(1, resources.length);
          const hostCells = [
            <td rowspan={span}>
              <a href={`/ui/capacity/${encodeURIComponent(h.host)}`}>{h.host}</a>
            </td>,
            <td rowspan={span} class={urgency(soonest)}>
              {describeFullIn(soonest)}
            </td>,
            <td rowspan={span} class="num">
              {formatPercent(h.p95)}
            </td>,
          ];
          if (resources.length === 0) {
            return [
              <tr data-host={h.host}>
                {hostCells}
                <td colspan={4} class="small muted">
                  network only
                </td>
              </tr>,
            ];
          }
          return resources.map((r, i) => {
            const f = fullIn(r.forecast?.daysUntilFull ?? null, horizonMs);
            return (
              <tr data-host={i === 0 ? h.host : undefined} data-resource={`${h.host} ${resourceName(r)}`}>
                {i === 0 ? hostCells : null}
                <td class="small">{resourceName(r)}</td>
                <td>
                  <Sparkline values={averages(r)} max={1} label={`${h.host} ${resourceName(r)}: hourly utilisation, latest ${formatPercent(r.forecast?.latest ?? null)}`} />
                </td>
                <td class="small num">{formatPercent(r.forecast?.latest ?? null)}</td>
                <td class="small">
                  {resourceFullIn(f)}
                  {describeInterval(r.forecast, horizonMs)}
                </td>
              </tr>
            );
          });
        })}
      </tbody>
    </table>
  </>
);

/** The forecast line of the seasonal peak: from the fitted peak now, along the trend that fills soonest. */
export function forecastLine(r: ResourceCapacity, now: number): Point[] {
  const trend = [...(r.forecast?.trends ?? [])]
    .filter((t) => t.slopePerDay !== null && t.peak !== null)
    .sort((a, b) => (a.daysUntilFull ?? Infinity) - (b.daysUntilFull ?? Infinity))[0];
  if (!trend || trend.slopePerDay === null || trend.peak === null) return [];
  const days = Math.min(FORECAST_DAYS, trend.daysUntilFull ?? FORECAST_DAYS);
  return [
    { x: now, y: trend.peak },
    { x: now + days * DAY_MS, y: trend.peak + trend.slopePerDay * days },
  ];
}

const soonestFull = (f: FullIn) => (f.kind === 'days' ? `in ${describeFullIn(f)}` : f.kind === 'beyond-horizon' ? describeFullIn(f) : 'nothing is filling up');

const ResourceForecast: FC<{ f: FullIn }> = ({ f }) =>
  f.kind === 'days' ? <strong class={f.days < 14 ? 'bad' : 'warn'}>full in {describeFullIn(f)}</strong> : <>{describeFullIn(f)}</>;

const day = (ms: number) => new Date(ms).toISOString().slice(5, 10);

export const HostCapacityView: FC<{ host: HostCapacity; now: number; horizonMs: number }> = ({ host, now, horizonMs }) => (
  <>
    <p class="small">
      <a href="/ui/capacity">← All hosts</a>
    </p>
    <h1>Capacity of {host.host}</h1>
    <p>
      Soonest full: <strong>{soonestFull(fullIn(host.daysUntilFull, horizonMs))}</strong> · highest p95 {formatPercent(host.p95)}
    </p>
    <div class="grid">
      {host.resources.map((r) => {
        const avg = r.series.map((b) => ({ x: b.bucketStart, y: b.sum / b.count }));
        const peak = r.series.map((b) => ({ x: b.bucketStart, y: b.max }));
        const start = r.series[0]?.bucketStart ?? now - 30 * DAY_MS;
        if (r.resource === 'network') {
          const top = Math.max(1, ...peak.map((p) => p.y));
          return (
            <section aria-label={resourceName(r)}>
              <h2>{resourceName(r)}</h2>
              <LineChart title={`${host.host} network throughput`} x={[start, now]} y={[0, top]} formatX={day} formatY={formatRate} series={[{ name: 'hourly average', points: avg, stroke: '#1f5fbf' }]} />
            </section>
          );
        }
        const forecast = forecastLine(r, now);
        const end = Math.max(now, ...forecast.map((p) => p.x));
        const f = r.forecast;
        return (
          <section aria-label={resourceName(r)}>
            <h2>{resourceName(r)}</h2>
            <p class="small">
              latest {formatPercent(f?.latest ?? null)} · p95 {formatPercent(f?.p95 ?? null)} · headroom {formatPercent(f?.headroom ?? null)} ·{' '}
              <ResourceForecast f={fullIn(f?.daysUntilFull ?? null, horizonMs)} />
              {describeInterval(f, horizonMs)}
              {f && f.seasonality !== 'none' ? ` · ${f.seasonality} pattern` : ''}
            </p>
            {describeBacktest(f) ? <p class="small muted">{describeBacktest(f)}</p> : null}
            <LineChart
              title={`${host.host} ${resourceName(r)} utilisation`}
              x={[start, end]}
              y={[0, 1]}
              formatX={day}
              formatY={(v) => `${Math.round(v * 100)} %`}
              rules={[{ y: 1, label: 'full', stroke: '#b3261e' }]}
              marker={{ x: now, label: 'now' }}
              series={[
                { name: 'hourly average', points: avg, stroke: '#1f5fbf' },
                { name: 'hourly peak', points: peak, stroke: '#9db7e0' },
                { name: 'forecast', points: forecast, stroke: '#d9480f', dash: '6 4' },
              ]}
            />
          </section>
        );
      })}
    </div>
    <p class="small muted">Evaluated {formatTime(now)}.</p>
  </>
);
