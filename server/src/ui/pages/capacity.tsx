/** @module Capacity: hosts worst forecast first with sparklines; one host's charts with the forecast line. */
import type { FC } from 'hono/jsx';
import type { HostCapacity, ResourceCapacity } from '../../services/capacity.js';
import { LineChart, Sparkline, type Point } from '../charts.js';
import { formatDays, formatPercent, formatTime } from '../format.js';

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

export const CapacityList: FC<{ hosts: HostCapacity[] }> = ({ hosts }) => (
  <>
    <h1>Capacity</h1>
    <p class="muted small">Hosts with data in the last 30 days, the soonest to fill first. Sparklines show hourly averages.</p>
    {hosts.length === 0 ? <p class="card">No capacity data yet: agents send it over OTLP to <code>/v1/metrics</code>.</p> : null}
    <table>
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">Full in</th>
          <th scope="col" class="num">Highest p95</th>
          <th scope="col">Resources</th>
        </tr>
      </thead>
      <tbody>
        {hosts.map((h) => (
          <tr data-host={h.host}>
            <td>
              <a href={`/ui/capacity/${encodeURIComponent(h.host)}`}>{h.host}</a>
            </td>
            <td class={h.daysUntilFull !== null && h.daysUntilFull < 14 ? 'bad' : h.daysUntilFull !== null && h.daysUntilFull < 60 ? 'warn' : undefined}>{formatDays(h.daysUntilFull)}</td>
            <td class="num">{formatPercent(h.p95)}</td>
            <td>
              <table>
                <tbody>
                  {h.resources
                    .filter((r) => r.resource !== 'network')
                    .map((r) => (
                      <tr>
                        <td class="small">{resourceName(r)}</td>
                        <td>
                          <Sparkline values={averages(r)} max={1} label={`${h.host} ${resourceName(r)}: hourly utilisation, latest ${formatPercent(r.forecast?.latest ?? null)}`} />
                        </td>
                        <td class="small num">{formatPercent(r.forecast?.latest ?? null)}</td>
                        <td class="small">{r.forecast?.daysUntilFull != null ? `full in ${formatDays(r.forecast.daysUntilFull)}` : ''}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </>
);

/** The forecast line: from the fitted level now, along the trend that fills soonest. */
export function forecastLine(r: ResourceCapacity, now: number): Point[] {
  const trend = [...(r.forecast?.trends ?? [])]
    .filter((t) => t.slopePerDay !== null && t.level !== null)
    .sort((a, b) => (a.daysUntilFull ?? Infinity) - (b.daysUntilFull ?? Infinity))[0];
  if (!trend || trend.slopePerDay === null || trend.level === null) return [];
  const days = Math.min(FORECAST_DAYS, trend.daysUntilFull ?? FORECAST_DAYS);
  return [
    { x: now, y: trend.level },
    { x: now + days * DAY_MS, y: trend.level + trend.slopePerDay * days },
  ];
}

const day = (ms: number) => new Date(ms).toISOString().slice(5, 10);

export const HostCapacityView: FC<{ host: HostCapacity; now: number }> = ({ host, now }) => (
  <>
    <p class="small">
      <a href="/ui/capacity">← All hosts</a>
    </p>
    <h1>Capacity of {host.host}</h1>
    <p>
      Soonest full: <strong>{host.daysUntilFull === null ? 'nothing is filling up' : `in ${formatDays(host.daysUntilFull)}`}</strong> · highest p95 {formatPercent(host.p95)}
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
              {f?.daysUntilFull != null ? <strong class={f.daysUntilFull < 14 ? 'bad' : 'warn'}>full in {formatDays(f.daysUntilFull)}</strong> : 'not filling'}
            </p>
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
