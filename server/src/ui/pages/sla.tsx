/** @module SLA: per service compliance for a chosen period, error budget bar, burn chart, CSV. */
import type { FC } from 'hono/jsx';
import { formatObjectivePpm, type SlaPolicy } from '../../domain/sla.js';
import type { MetricSliReport } from '../../services/metric-slis.js';
import type { ExplainedOutage } from '../../services/sla-history.js';
import type { ServiceSla } from '../../services/sla.js';
import type { SlaSignalRecord } from '../../services/sla-signals.js';
import { budgetExhaustionMs } from '../../sla/burn-rate.js';
import { BudgetBar, LineChart, type Point } from '../charts.js';
import { formatDayIn, formatDuration, formatPercent, formatSli, formatTime, formatTimeIn } from '../format.js';

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

/** The zone a policy's periods are counted in: a calendar period's, else its service calendar's, else UTC. */
export function zoneOf(policy: SlaPolicy): string {
  if (policy.period.kind === 'calendar') return policy.period.timeZone;
  return policy.serviceCalendar?.timeZone ?? 'UTC';
}

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

/**
 * The headline of a service's SLA, as SLO tools put it first: when the error budget left runs
 * out at the last day's burn rate (or that it is gone, or lasts the period).
 */
export function budgetOutlook(s: ServiceSla): { text: string; tone: 'bad' | 'warn' | 'ok' } {
  const a = s.current.availability;
  const burn = s.current.burn.burnRates['1d'] ?? 0;
  if (a.budgetRemainingRatio <= 0) return { text: 'Error budget exhausted', tone: 'bad' };
  const lasts = budgetExhaustionMs(a.allowedDowntimeMs - a.downtimeMs, burn, a.objectivePpm);
  const left = a.end - Math.min(s.evaluatedAt, a.end);
  if (lasts === null) return { text: 'No budget burning over the last day: it lasts the period', tone: 'ok' };
  if (lasts >= left) return { text: `Budget lasts the period at the last day's burn (×${burn.toFixed(2)})`, tone: 'ok' };
  const days = lasts / 86_400_000;
  const when = days >= 1 ? `${days.toFixed(1)} days` : formatDuration(lasts);
  return { text: `Budget exhausted in ${when} at the last day's burn (×${burn.toFixed(2)})`, tone: days < 2 ? 'bad' : 'warn' };
}

/** Metric SLIs read from Prometheus for the period, beside the incident-based availability. */
const MetricSliTable: FC<{ service: string; slis: readonly MetricSliReport[]; zone: string }> = ({ service, slis, zone }) => (
  <div class="scroll">
    <table class="metric-slis" data-metric-slis={service}>
      <caption class="small muted">Measured from Prometheus metrics (good / all events, up to {slis[0] ? formatTimeIn(slis[0].measuredUntil, zone) : '—'})</caption>
      <thead>
        <tr>
          <th scope="col">SLI</th>
          <th scope="col" class="num">Objective</th>
          <th scope="col" class="num">Good / all</th>
          <th scope="col" class="num">SLI</th>
          <th scope="col">Error budget left</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {slis.map((m) => (
          <tr data-sli={m.name}>
            <td>{m.name}</td>
            <td class="num">{formatObjectivePpm(m.objectivePpm)} %</td>
            {m.ratio === null ? (
              <td colspan={4} class="warn">
                not measured: {m.error}
              </td>
            ) : (
              <>
                <td class="num">
                  {Math.round(m.ratio.good).toLocaleString('en')} / {Math.round(m.ratio.total).toLocaleString('en')}
                </td>
                <td class="num">{m.ratio.sli === null ? '—' : formatSli(m.ratio.sli)}</td>
                <td>
                  {m.ratio.budgetRemainingRatio === null ? <span class="muted">no events</span> : <><BudgetBar remainingRatio={m.ratio.budgetRemainingRatio} width={120} /> {formatPercent(m.ratio.budgetRemainingRatio)}</>}
                </td>
                <td class={m.ratio.breached ? 'bad' : 'ok'}>{m.ratio.sli === null ? '—' : m.ratio.breached ? 'breached' : 'ok'}</td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const SlaServiceCard: FC<{ s: ServiceSla; now: number; outages?: ExplainedOutage[]; signals?: readonly SlaSignalRecord[]; metricSlis?: readonly MetricSliReport[] }> = ({ s, now, outages = [], signals = [], metricSlis = [] }) => {
  const a = s.current.availability;
  const zone = zoneOf(s.policy);
  const day = (ms: number) => formatDayIn(ms, zone);
  const burn = budgetBurnPoints(s);
  const top = Math.max(1.2, ...burn.map((p) => p.y));
  const met = !a.breached && a.sliPpm >= a.objectivePpm;
  const outlook = budgetOutlook(s);
  return (
    <section class="card" aria-labelledby={`sla-${s.service}`} data-service={s.service}>
      <h2 id={`sla-${s.service}`}>{s.service}</h2>
      <p class={`outlook ${outlook.tone}`}>
        <strong>{outlook.text}</strong>
      </p>
      <dl class="facts">
        <dt>Period</dt>
        <dd>
          {formatTimeIn(a.start, zone)} → {formatTimeIn(a.end, zone)}
        </dd>
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
          width={720}
          height={280}
        />
      ) : (
        <p class="muted small">No downtime allowed in this period (no scheduled service time): nothing to chart.</p>
      )}
      {metricSlis.length > 0 ? <MetricSliTable service={s.service} slis={metricSlis} zone={zone} /> : null}
      <OutageList outages={outages} zone={zone} />
    </section>
  );
};

const OutageList: FC<{ outages: ExplainedOutage[]; zone: string }> = ({ outages, zone }) => {
  if (outages.length === 0) return <p class="muted small">No outage in this period.</p>;
  return (
    <div class="scroll">
      <table class="outages">
        <caption class="small muted">Outages in this period ({zone})</caption>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col" class="num">Lasted</th>
            <th scope="col">Caused by</th>
          </tr>
        </thead>
        <tbody>
          {outages.map((o) => (
            <tr>
              <td class="small">{formatTimeIn(o.start, zone)}</td>
              <td class="small">{formatTimeIn(o.end, zone)}</td>
              <td class="num">{formatDuration(o.end - o.start)}</td>
              <td class="small">
                {o.incidents.length === 0
                  ? 'no incident of this service: a failed check, an agent down or a dependency'
                  : o.incidents.map((i, k) => (
                      <>
                        {k > 0 ? ', ' : null}
                        <a href={`/ui/incidents/${i.id}`}>
                          #{i.id} {i.priority} {i.title}
                        </a>
                      </>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

export const SlaPage: FC<{ items: ServiceSla[]; offset: number; now: number; signals?: readonly SlaSignalRecord[]; outages?: Map<string, ExplainedOutage[]>; metricSlis?: Map<string, MetricSliReport[]> }> = ({
  items,
  offset,
  now,
  signals = [],
  outages,
  metricSlis,
}) => {
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
      </form>
      {items.length === 0 ? <p class="card">No service has an SLA policy yet: add an <code>sla</code> block to a service in the catalogue.</p> : null}
      <table>
        <caption class="small muted">Compliance per service</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Outlook</th>
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
            const zone = zoneOf(s.policy);
            const outlook = budgetOutlook(s);
            return (
              <tr>
                <td>
                  <a href={`#sla-${s.service}`}>{s.service}</a>
                </td>
                <td class={`small ${outlook.tone}`}>{outlook.text}</td>
                <td class="small">
                  {formatDayIn(a.start, zone)} → {formatDayIn(a.end - 1, zone)} <span class="muted">{zone}</span>
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
          <SlaServiceCard s={s} now={now} outages={outages?.get(s.service)} metricSlis={metricSlis?.get(s.service)} signals={signals.filter((x) => x.service === s.service && x.startedAt < s.current.availability.end && (x.endedAt === null || x.endedAt > s.current.availability.start))} />
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
