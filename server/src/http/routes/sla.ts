/**
 * @module Service level status over HTTP (scope `read`): each service's current SLA
 * period, reports over periods (JSON or CSV), and an incident's response/resolution targets.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { Rfc3339Time } from '../../domain/time.js';
import { SERVICE_NAME } from '../../domain/service.js';
import { formatObjectivePpm, PPM } from '../../domain/sla.js';
import { evaluateServiceSla, evaluateServiceSlas, type ServiceSla, type SlaDeps } from '../../services/sla.js';
import { reportAllSlas, reportServiceSla, type PeriodReport, type PeriodSelector, type ServiceReport } from '../../services/sla-report.js';
import { measureMetricSlis, type MetricSliReport } from '../../services/metric-slis.js';
import { exportOpenSloPolicies } from '../../services/openslo.js';
import { getIncidentSla, type IncidentSla, type SlaTargetDeps } from '../../services/sla-targets.js';
import type { IncidentSignal, SlaSignalRecord } from '../../services/sla-signals.js';
import type { TargetEvaluation } from '../../sla/targets.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

const seconds = (ms: number) => ms / 1000;

export function presentServiceSla(s: ServiceSla) {
  const a = s.current.availability;
  return {
    service: s.service,
    objective: formatObjectivePpm(a.objectivePpm),
    objectiveRatio: a.objectivePpm / PPM,
    period: { start: iso(a.start), end: iso(a.end) },
    evaluatedAt: iso(s.evaluatedAt),
    sli: a.sli,
    measuredSeconds: seconds(a.measuredMs),
    downtimeSeconds: seconds(a.downtimeMs),
    excludedSeconds: seconds(a.excludedMs),
    budget: {
      allowedSeconds: seconds(a.allowedDowntimeMs),
      consumedSeconds: seconds(a.downtimeMs),
      remainingSeconds: seconds(a.budgetRemainingMs),
      consumedRatio: 1 - a.budgetRemainingRatio,
      remainingRatio: a.budgetRemainingRatio,
    },
    burnRates: { period: a.periodBurnRate, ...s.current.burn.burnRates },
    burnRateAlerts: s.current.burn.alerts.map((r) => ({
      long: r.rule.long,
      short: r.rule.short,
      severity: r.rule.severity,
      threshold: r.threshold,
      longBurnRate: r.longBurnRate,
      shortBurnRate: r.shortBurnRate,
      firing: r.firing,
    })),
    breached: a.breached,
    outages: a.outages.map((o) => ({ start: iso(o.start), end: iso(o.end) })),
  };
}

/** A metric SLI measured from Prometheus, beside the incident-based availability. */
export function presentMetricSli(m: MetricSliReport) {
  const r = m.ratio;
  return {
    name: m.name,
    objective: formatObjectivePpm(m.objectivePpm),
    objectiveRatio: m.objectivePpm / PPM,
    period: { start: iso(m.period.start), end: iso(m.period.end) },
    measuredUntil: iso(m.measuredUntil),
    sli: r?.sli ?? null,
    goodEvents: r?.good ?? null,
    totalEvents: r?.total ?? null,
    budget: r ? { allowedBadEvents: r.allowedBad, badEvents: r.bad, remainingRatio: r.budgetRemainingRatio } : null,
    breached: r?.breached ?? null,
    error: m.error,
  };
}

function presentTarget(e: TargetEvaluation | null, agreedMs: number | null) {
  if (!e || agreedMs === null) return null;
  return {
    targetSeconds: agreedMs / 1000,
    dueAt: iso(e.dueAt),
    elapsedSeconds: seconds(e.elapsedMs),
    percentElapsed: e.percentElapsed,
    state: e.state,
    breached: e.breached,
    met: e.met,
    paused: e.paused,
    warningAt: { '75': iso(e.warningAt[75]), '90': iso(e.warningAt[90]) },
  };
}

/** An incident's targets as the API shows them (also inside `GET /api/v1/incidents/:id`); null when none is agreed. */
export function presentIncidentSla(s: IncidentSla | null) {
  if (!s) return null;
  const c = s.target.calendar;
  return {
    priority: s.incident.priority,
    source: s.source,
    calendar: c.weeklyHours === null && c.holidays.length === 0 ? '24x7' : { timeZone: c.timeZone, hours: c.weeklyHours, holidays: c.holidays },
    holds: s.holds.map((h) => ({ start: iso(h.start), end: iso(h.end) })),
    response: presentTarget(s.response, s.target.respondMs),
    resolution: presentTarget(s.resolution, s.target.resolveMs),
  };
}

/** A burn-rate episode of a service's error budget, as the API shows it. */
export function presentBurnSignal(s: SlaSignalRecord) {
  return {
    kind: 'burn' as const,
    event: 'sla_burn' as const,
    id: s.id,
    service: s.service,
    severity: s.severity,
    startedAt: iso(s.startedAt),
    endedAt: s.endedAt === null ? null : iso(s.endedAt),
    active: s.endedAt === null,
    message: s.message,
    details: s.data,
    incidentIds: s.incidentIds,
  };
}

/** An incident's SLA signals (inside `GET /api/v1/incidents/:id` as `slaSignals`). */
export function presentIncidentSignals(signals: readonly IncidentSignal[]) {
  return signals.map((x) => (x.kind === 'burn' ? presentBurnSignal(x.signal) : { kind: 'target' as const, event: x.event, target: x.target, level: x.level, at: iso(x.at) }));
}

function presentPeriod(p: PeriodReport) {
  const a = p.availability;
  return {
    start: iso(a.start),
    end: iso(a.end),
    sli: a.sli,
    objective: formatObjectivePpm(a.objectivePpm),
    measuredSeconds: seconds(a.measuredMs),
    allowedDowntimeSeconds: seconds(a.allowedDowntimeMs),
    downtimeSeconds: seconds(a.downtimeMs),
    excludedSeconds: seconds(a.excludedMs),
    budgetRemainingSeconds: seconds(a.budgetRemainingMs),
    breached: a.breached,
    failures: p.failures,
    meanTimeToRestoreSeconds: p.meanTimeToRestoreMs === null ? null : seconds(p.meanTimeToRestoreMs),
    outages: a.outages.map((o) => ({ start: iso(o.start), end: iso(o.end), seconds: seconds(o.end - o.start) })),
    targets: p.targets,
    slaSignals: p.signals.map(presentBurnSignal),
  };
}

export function presentServiceReport(r: ServiceReport) {
  return { service: r.service, objective: formatObjectivePpm(r.policy.objectivePpm), periods: r.periods.map(presentPeriod) };
}

const CSV_COLUMNS = [
  'service',
  'period_start',
  'period_end',
  'objective',
  'sli',
  'allowed_downtime_seconds',
  'downtime_seconds',
  'excluded_seconds',
  'budget_remaining_seconds',
  'breached',
  'outages',
  'mean_time_to_restore_seconds',
  'response_met',
  'response_breached',
  'response_running',
  'resolution_met',
  'resolution_breached',
  'resolution_running',
] as const;

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. */
const csvField = (v: string | number | boolean | null) => {
  const text = v === null ? '' : String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function reportsToCsv(reports: readonly ServiceReport[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of reports)
    for (const p of r.periods) {
      const a = p.availability;
      const sum = (target: 'response' | 'resolution', key: 'met' | 'breached' | 'running') => Object.values(p.targets).reduce((n, t) => n + (t?.[target][key] ?? 0), 0);
      const row = [
        r.service,
        iso(a.start),
        iso(a.end),
        formatObjectivePpm(a.objectivePpm),
        a.sli,
        seconds(a.allowedDowntimeMs),
        seconds(a.downtimeMs),
        seconds(a.excludedMs),
        seconds(a.budgetRemainingMs),
        a.breached,
        a.outages.length,
        p.meanTimeToRestoreMs === null ? null : seconds(p.meanTimeToRestoreMs),
        sum('response', 'met'),
        sum('response', 'breached'),
        sum('response', 'running'),
        sum('resolution', 'met'),
        sum('resolution', 'breached'),
        sum('resolution', 'running'),
      ];
      lines.push(row.map(csvField).join(','));
    }
  return `${lines.join('\r\n')}\r\n`;
}

const ReportQuery = z
  .strictObject({
    period: z.enum(['current', 'previous']).optional(),
    from: Rfc3339Time.optional(),
    to: Rfc3339Time.optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .superRefine((q, ctx) => {
    if ((q.from === undefined) !== (q.to === undefined)) ctx.addIssue({ code: 'custom', path: [q.from === undefined ? 'from' : 'to'], message: 'from and to go together' });
    else if (q.from !== undefined && q.period !== undefined) ctx.addIssue({ code: 'custom', path: ['period'], message: 'give either period or from and to' });
    else if (q.from !== undefined && q.to !== undefined && q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

function parseReportQuery(c: Context<AppEnv>): { ok: true; selector: PeriodSelector; format: 'json' | 'csv' } | { ok: false; response: Response } {
  const parsed = ReportQuery.safeParse(c.req.query());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return { ok: false, response: c.json(errorBody(c, 'VALIDATION', `invalid query: ${issues[0]?.path}: ${issues[0]?.message}`, { issues }), 400) };
  }
  const q = parsed.data;
  const selector: PeriodSelector = q.from !== undefined && q.to !== undefined ? { kind: 'range', from: q.from, to: q.to } : { kind: q.period ?? 'current' };
  return { ok: true, selector, format: q.format };
}

function sendReports(c: Context<AppEnv>, reports: ServiceReport[], format: 'json' | 'csv', name: string) {
  if (format === 'json') return c.json({ items: reports.map(presentServiceReport) });
  return c.body(reportsToCsv(reports), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}.csv"` });
}

export function slaRoutes(deps: SlaDeps & SlaTargetDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');

  app.get('/api/v1/sla', read, async (c) => {
    return c.json({ items: (await evaluateServiceSlas(deps)).map(presentServiceSla) });
  });

  // Before `/api/v1/sla/:service`, which would otherwise take "report" for a service name.
  app.get('/api/v1/sla/report', read, async (c) => {
    const query = parseReportQuery(c);
    if (!query.ok) return query.response;
    const result = await reportAllSlas(deps, query.selector);
    if (!result.ok) return errorResponse(c, result.error);
    return sendReports(c, result.value, query.format, 'sla-report');
  });

  app.get('/api/v1/sla/:service', read, async (c) => {
    const name = c.req.param('service');
    if (!SERVICE_NAME.test(name)) return c.json(errorBody(c, 'VALIDATION', 'invalid service name: letters, digits and _ . : - (at most 128)', { field: 'service' }), 400);
    const result = await evaluateServiceSla(deps, name);
    if (!result.ok) return errorResponse(c, result.error);
    const metricSlis = await measureMetricSlis(result.value.policy, result.value.evaluatedAt);
    return c.json({ ...presentServiceSla(result.value), ...(metricSlis.length ? { metricSlis: metricSlis.map(presentMetricSli) } : {}) });
  });

  app.get('/api/v1/sla/:service/report', read, async (c) => {
    const name = c.req.param('service');
    if (!SERVICE_NAME.test(name)) return c.json(errorBody(c, 'VALIDATION', 'invalid service name: letters, digits and _ . : - (at most 128)', { field: 'service' }), 400);
    const query = parseReportQuery(c);
    if (!query.ok) return query.response;
    const result = await reportServiceSla(deps, name, query.selector);
    if (!result.ok) return errorResponse(c, result.error);
    if (query.format === 'csv') return sendReports(c, [result.value], 'csv', `sla-report-${name}`);
    return c.json(presentServiceReport(result.value));
  });

  // Every policy (or `?service=`) as OpenSLO v1 documents, the same bytes as `sightline slo export`.
  app.get('/api/v1/slo/openslo', read, async (c) => {
    const query = z.strictObject({ service: z.string().regex(SERVICE_NAME, 'must be a service name').optional() }).safeParse(c.req.query());
    if (!query.success) {
      const issue = query.error.issues[0];
      return c.json(errorBody(c, 'VALIDATION', `invalid query: ${issue?.path.join('.') || '(query)'}: ${issue?.message}`, { field: issue?.path.join('.') }), 400);
    }
    const result = await exportOpenSloPolicies(deps, query.data.service);
    if (!result.ok) return errorResponse(c, result.error);
    return c.body(result.value, 200, { 'Content-Type': 'application/yaml; charset=utf-8' });
  });

  app.get('/api/v1/incidents/:id/sla', read, async (c) => {
    const id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).safeParse(c.req.param('id'));
    if (!id.success) return c.json(errorBody(c, 'VALIDATION', 'incident id must be a positive integer', { field: 'id' }), 400);
    const result = await getIncidentSla(deps, id.data);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ incidentId: id.data, sla: presentIncidentSla(result.value) });
  });

  return app;
}
