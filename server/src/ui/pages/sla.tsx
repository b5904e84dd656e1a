/** @module SLA: per service compliance for a chosen period, error budget bar, burn chart, CSV. */
import type { FC } from 'hono/jsx';
import { formatObjectivePpm } from '../../domain/sla.js';
import type { ServiceSla } from '../../services/sla.js';
import type { SlaSignalRecord } from '../../services/sla-signals.js';
import { BudgetBar, LineChart, type Point } from '../charts.js';
import { formatDuration, formatPercent, formatSli, formatTime } from '../format.js';

export const MAX_PERIOD_OFFSET = 12;

/** Budget spent over the period: cumulative downtime / allowed downtime, at each outage edge. */
export function budgetBurnPoints(s: ServiceSla): Point[] {
  const a = s.current.availability;
  if (a.allowedDowntimeMs <= 0) return [];
  const asOf = Math.min(s.evaluatedAt, a.end);
  const points: Point[] = [{ x: a.start, y: 0 }];
  let spent = 0;
  for (const o of [...a.outages].sort((x, y) => x.start - y.start)) {
    points.push({ x: o.start, y: spent / a.allowedDowntimeMs });
    spent += o.end - o.start;
    points.push({ x: o.end, y: spent / a.allowedDowntimeMs });
  }
  points.push({ x: Math.max(asOf, points[points.length - 1]!.x), y: spent / a.allowedDowntimeMs });
  return points;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Burn-rate episodes (SLA signals): notifications, never incidents; linked to the incidents that burned the budget. */
export const SlaSignalList: FC<{ signals: readonly SlaSignalRecord[] }> = ({ signals }) => (
  <ul class="signals">
    {signals.map((x) => (
      <li data-signal={String(x.id)}>
        <strong class={x.severity === 'page' ? 'bad' : 'warn'}>{x.severity === 'page' ? 'fast burn' : 'slow burn'}</strong> {formatTime(x.startedAt)} → {x.endedAt === null ? <em>burning</em> : formatTime(x.endedAt)}: {x.message}
        {x.incidentIds.length > 0 ? (
          <span class="small">
            {' '}
            · burned by{' '}
            {x.incidentIds.map((id, k) => (
              <>
                {k > 0 ? ', ' : ''}
                <a href={`/ui/incidents/${id}`}>#{id}</a>
              </>
            ))}
          </span>
        ) : null}
      </li>
    ))}
  </ul>
);

export const SlaServiceCard: FC<{ s: ServiceSla; now: number; signals?: readonly SlaSignalRecord[] }> = ({ s, now, signals = [] }) => {
  const a = s.current.availability;
  const burn = budgetBurnPoints(s);
  const top = Math.max(1.2, ...burn.map((p) => p.y));
  const met = !a.breached && a.sliPpm >= a.objectivePpm;
  return (
    <section class="card" aria-labelledby={`sla-${s.service}`} data-service={s.service}>
      <h2 id={`sla-${s.service}`}>{s.service}</h2>
      <dl class="facts">
        <dt>Objective</dt>
        <dd>{formatObjectivePpm(a.objectivePpm)} %</dd>
        <dt>Availability</dt>
        <dd class={a.breached ? 'bad' : met ? 'ok' : 'warn'}>
          {formatSli(a.sli)} {a.breached ? '— breached: the objective can no longer be met' : met ? '— meeting the objective' : '— below the objective so far'}
        </dd>
        <dt>Error budget</dt>
        <dd>
          <BudgetBar remainingRatio={a.budgetRemainingRatio} /> {formatPercent(a.budgetRemainingRatio)} left · {formatDuration(a.downtimeMs)} down of {formatDuration(a.allowedDowntimeMs)} allowed
        </dd>
        <dt>Burn rate</dt>
        <dd>
          period {a.periodBurnRate.toFixed(2)} · 1 h {(s.current.burn.burnRates['1h'] ?? 0).toFixed(2)} · 6 h {(s.current.burn.burnRates['6h'] ?? 0).toFixed(2)} · 1 d{' '}
          {(s.current.burn.burnRates['1d'] ?? 0).toFixed(2)}
          {s.current.burn.alerts.some((r) => r.firing) ? <strong class="bad"> · burning fast</strong> : null}
        </dd>
        <dt>Maintenance excluded</dt>
        <dd>{formatDuration(a.excludedMs)}</dd>
        <dt>SLA signals</dt>
        <dd>{signals.length === 0 ? <span class="muted">none in this period</span> : <SlaSignalList signals={signals} />}</dd>
      </dl>
      {burn.length > 0 ? (
        <LineChart
          title={`${s.service}: error budget spent over the period`}
          x={[a.start, a.end]}
          y={[0, top]}
          formatX={day}
          formatY={(v) => `${Math.round(v * 100)} %`}
          rules={[{ y: 1, label: 'budget', stroke: '#b3261e' }]}
          marker={now < a.end ? { x: now, label: 'now' } : undefined}
          series={[
            { name: 'spent', points: burn, stroke: '#1f5fbf' },
            { name: 'even spend', points: [{ x: a.start, y: 0 }, { x: a.end, y: 1 }], stroke: '#8a94a0', dash: '5 4' },
          ]}
          height={180}
        />
      ) : (
        <p class="muted small">No downtime allowed in this period (no scheduled service time): nothing to chart.</p>
      )}
    </section>
  );
};

export const SlaPage: FC<{ items: ServiceSla[]; offset: number; now: number; signals?: readonly SlaSignalRecord[] }> = ({ items, offset, now, signals = [] }) => {
  const first = items[0]?.current.availability;
  return (
    <>
      <h1>Service levels</h1>
      <form class="periods" method="get" action="/ui/sla" aria-label="Choose the period">
        <label>
          Period
          <select name="period">
            {Array.from({ length: MAX_PERIOD_OFFSET + 1 }, (_, k) => (
              <option value={String(k)} selected={k === offset}>
                {k === 0 ? 'current' : k === 1 ? 'previous' : `${k} periods back`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
        <a href={`/ui/sla.csv?period=${offset}`} download>
          Download CSV
        </a>
        {first ? (
          <span class="muted small">
            {formatTime(first.start)} → {formatTime(first.end)}
          </span>
        ) : null}
      </form>
      {items.length === 0 ? <p class="card">No service has an SLA policy yet: add an <code>sla</code> block to a service in the catalogue.</p> : null}
      <table>
        <caption class="small muted">Compliance per service</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Period</th>
            <th scope="col" class="num">Objective</th>
            <th scope="col" class="num">Availability</th>
            <th scope="col">Error budget left</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => {
            const a = s.current.availability;
            return (
              <tr>
                <td>
                  <a href={`#sla-${s.service}`}>{s.service}</a>
                </td>
                <td class="small">
                  {day(a.start)} → {day(a.end)}
                </td>
                <td class="num">{formatObjectivePpm(a.objectivePpm)} %</td>
                <td class="num">{formatSli(a.sli)}</td>
                <td>
                  <BudgetBar remainingRatio={a.budgetRemainingRatio} width={120} /> {formatPercent(a.budgetRemainingRatio)}
                </td>
                <td class={a.breached ? 'bad' : a.budgetRemainingRatio < 0.25 ? 'warn' : 'ok'}>{a.breached ? 'breached' : a.budgetRemainingRatio < 0.25 ? 'at risk' : 'ok'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="grid">
        {items.map((s) => (
          <SlaServiceCard s={s} now={now} signals={signals.filter((x) => x.service === s.service && x.startedAt < s.current.availability.end && (x.endedAt === null || x.endedAt > s.current.availability.start))} />
        ))}
      </div>
    </>
  );
};

const csvCell = (v: string | number | boolean) => {
  const s = String(v);
  // A leading = + - @ would be read as a formula by spreadsheets.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function slaCsv(items: ServiceSla[]): string {
  const header = ['service', 'period_start', 'period_end', 'objective_percent', 'availability', 'measured_seconds', 'downtime_seconds', 'excluded_seconds', 'allowed_downtime_seconds', 'budget_remaining_ratio', 'period_burn_rate', 'breached'];
  const rows = items.map((s) => {
    const a = s.current.availability;
    return [
      s.service,
      new Date(a.start).toISOString(),
      new Date(a.end).toISOString(),
      formatObjectivePpm(a.objectivePpm),
      a.sli,
      a.measuredMs / 1000,
      a.downtimeMs / 1000,
      a.excludedMs / 1000,
      a.allowedDowntimeMs / 1000,
      a.budgetRemainingRatio,
      a.periodBurnRate,
      a.breached,
    ];
  });
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
