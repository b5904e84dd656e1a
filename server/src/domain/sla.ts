/**
 * @module Service level policies as data: availability objective (integer parts per
 * million), period, service calendar, what counts as downtime, dependency propagation,
 * and response/resolution targets per priority on business calendars.
 *
 * The objective is kept as an integer number of parts per million (99.9 % = 999000) so
 * that `allowed = period × (1e6 − ppm) / 1e6` is exact; it is parsed from its decimal
 * text, never through a float (`2592000 * (1 - 99.9/100)` floors to 2591, not 2592).
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { PRIORITIES, type Priority } from './incident.js';
import { TimeZoneName } from './time.js';

/** A half-open interval [start, end) in epoch milliseconds. */
export interface TimeInterval {
  start: number;
  end: number;
}

export const PPM = 1_000_000;

const OBJECTIVE = /^(\d{1,3})(?:\.(\d{1,4}))?\s*%?$/;

/**
 * "99.9" → 999000, "99.95%" → 999500, "99.9999" → 999999. At most four decimals (one ppm);
 * the objective must lie strictly between 0 and 100 so that the budget is neither all nor
 * nothing. Null when the text is not such a percentage.
 */
export function parseObjectivePpm(text: string): number | null {
  const m = OBJECTIVE.exec(text.trim());
  if (!m) return null;
  const ppm = Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0'));
  return ppm > 0 && ppm < PPM ? ppm : null;
}

/** 999000 → "99.9" (no trailing zeros). */
export function formatObjectivePpm(ppm: number): string {
  const whole = Math.floor(ppm / 10_000);
  const frac = String(ppm % 10_000).padStart(4, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Working hours on some weekdays, local wall-clock time "HH:MM" in the calendar's zone; end may be "24:00". */
export interface WeeklyHours {
  days: Weekday[];
  start: string;
  end: string;
}

/**
 * Business (or service) calendar: weekly hours in an IANA time zone, minus whole local
 * holidays. `weeklyHours: null` means around the clock (24×7).
 */
export interface BusinessCalendar {
  timeZone: string;
  weeklyHours: WeeklyHours[] | null;
  /** Local dates "YYYY-MM-DD" that are not worked at all. */
  holidays: string[];
}

export const ALWAYS: BusinessCalendar = Object.freeze({ timeZone: 'UTC', weeklyHours: null, holidays: [] }) as BusinessCalendar;

/** Calendar periods start at local midnight in `timeZone` (weeks on Monday); rolling periods end at "now". */
export type SlaPeriod = { kind: 'calendar'; unit: 'week' | 'month' | 'quarter'; timeZone: string } | { kind: 'rolling'; days: number };

export type DependencyPropagation = 'none' | 'any' | 'all';

export interface DowntimeDefinition {
  /** Open incidents of the service at these priorities count as downtime. */
  incidentPriorities: Priority[];
  /** Failed availability checks of agents (probe_success = 0) for the service count. */
  availabilityChecks: boolean;
  /** `AgentDown` of the service's hosts counts. */
  agentDown: boolean;
}

export interface ResponseResolutionTarget {
  /** Business milliseconds from open to acknowledge; null when not agreed. */
  respondMs: number | null;
  /** Business milliseconds from open to resolve; null when not agreed. */
  resolveMs: number | null;
  calendar: BusinessCalendar;
}

/**
 * A ratio SLI measured from Prometheus: `good` and `total` are counter series selectors
 * (`http_requests_total{job="api",code!~"5.."}`), which Sightline wraps in
 * `sum(increase(…[step]))` for the period and `sum(rate(…[window]))` in rules.
 */
export interface MetricSli {
  /** Lowercase letters, digits and dashes: names the SLI in rules, the API and OpenSLO. */
  name: string;
  /** Null: the policy's availability objective. */
  objectivePpm: number | null;
  good: string;
  total: string;
}

/** Where and how a policy's metric SLIs are measured. */
export interface MetricSlis {
  prometheusUrl: string;
  /** Range-query step: the period is counted in slices of this length. */
  stepMs: number;
  slis: MetricSli[];
}

export interface SlaPolicy {
  objectivePpm: number;
  period: SlaPeriod;
  /** Only time inside this calendar is in service; null = always. */
  serviceCalendar: BusinessCalendar | null;
  downtime: DowntimeDefinition;
  dependencies: DependencyPropagation;
  /** Maintenance windows are removed from both the outages and the denominator. */
  excludeMaintenance: boolean;
  targets: Partial<Record<Priority, ResponseResolutionTarget>>;
  /**
   * Burn-rate signals are notifications, not incidents; with this on, the fastest
   * burn-rate rule (the page) also opens an incident of its own per burn episode.
   */
  pageOnFastBurn: boolean;
  /** SLIs measured from Prometheus metrics beside the incident-based availability; absent when none. */
  metrics?: MetricSlis;
}

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;


const DurationText = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as "15m", "4h" or "1d"' });
    return z.NEVER;
  }
  return ms;
});

/** A calendar as written in YAML or JSON; the text "24x7" means around the clock in UTC. */
export const BusinessCalendarEntry = z.union([
  z.literal('24x7').transform((): BusinessCalendar => ({ timeZone: 'UTC', weeklyHours: null, holidays: [] })),
  z
    .strictObject({
      timeZone: TimeZoneName.default('UTC'),
      hours: z
        .array(
          z
            .strictObject({
              days: z.array(z.enum(WEEKDAYS)).min(1),
              start: z.string().regex(HHMM, 'must be HH:MM'),
              end: z.string().regex(HHMM, 'must be HH:MM or 24:00'),
            })
            .refine((h) => h.start < h.end, 'start must be before end (split hours that cross midnight)'),
        )
        .min(1)
        .nullable()
        .default(null),
      holidays: z.array(z.string().regex(ISO_DATE, 'must be YYYY-MM-DD')).max(10_000).default([]),
    })
    .transform((c): BusinessCalendar => ({ timeZone: c.timeZone, weeklyHours: c.hours, holidays: c.holidays })),
]);

const PeriodText = z.string().transform((text, ctx): { kind: 'calendar'; unit: 'week' | 'month' | 'quarter' } | { kind: 'rolling'; days: number } => {
  if (text === 'week' || text === 'month' || text === 'quarter') return { kind: 'calendar', unit: text };
  const rolling = /^([1-9]\d{0,2})d$/.exec(text);
  if (rolling) return { kind: 'rolling', days: Number(rolling[1]) };
  ctx.addIssue({ code: 'custom', message: 'must be week, month, quarter or a rolling number of days such as 30d' });
  return z.NEVER;
});

const ObjectiveText = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ppm = parseObjectivePpm(String(value));
  if (ppm === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a percentage above 0 and below 100 with at most 4 decimals, such as "99.9"' });
    return z.NEVER;
  }
  return ppm;
});

export const METRIC_SLI_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const MIN_STEP_MS = 60_000;
const MAX_STEP_MS = 86_400_000;

const MetricSlisEntry = z
  .strictObject({
    // Policies are shown to every `read` token and exported: a password has no place in them.
    prometheusUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL of Prometheus, such as http://prometheus:9090' })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not hold a user or password (policies are shown to every read token)'),
    step: DurationText.refine((ms) => ms >= MIN_STEP_MS && ms <= MAX_STEP_MS && ms % 1000 === 0, 'must be whole seconds from 1m to 1d').prefault('5m'),
    slis: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(METRIC_SLI_NAME, 'must be lowercase letters, digits and dashes (at most 32), such as "requests"')
            .refine((name) => name !== 'availability', '"availability" names the incident-based SLI; choose another name'),
          objective: ObjectiveText.optional(),
          good: z.string().trim().min(1).max(4096),
          total: z.string().trim().min(1).max(4096),
        }),
      )
      .min(1)
      .max(20)
      .superRefine((slis, ctx) => {
        const seen = new Set<string>();
        slis.forEach((s, i) => {
          if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${s.name} is named twice` });
          seen.add(s.name);
        });
      }),
  })
  .transform(
    (m): MetricSlis => ({
      prometheusUrl: m.prometheusUrl,
      stepMs: m.step,
      slis: m.slis.map((s) => ({ name: s.name, objectivePpm: s.objective ?? null, good: s.good, total: s.total })),
    }),
  );

const TargetEntry = z.strictObject({
  respond: DurationText.optional(),
  resolve: DurationText.optional(),
  calendar: BusinessCalendarEntry.prefault('24x7'),
});

/** Response/resolution targets per priority, as written in YAML or JSON (a service's `targets`, or the global ones). */
export const SlaTargetsEntry = z.partialRecord(z.enum(PRIORITIES), TargetEntry).transform(
  (targets): Partial<Record<Priority, ResponseResolutionTarget>> =>
    Object.fromEntries(Object.entries(targets).map(([priority, t]) => [priority, { respondMs: t?.respond ?? null, resolveMs: t?.resolve ?? null, calendar: t?.calendar ?? ALWAYS }])),
);

/**
 * The `sla` field of a service (YAML and `PUT /api/v1/services/:name`). The objective is a
 * decimal percentage; a YAML number such as 99.9 is accepted too, since JavaScript prints a
 * number as its shortest exact decimal ("99.9"), which is then parsed without floats.
 */
export const SlaPolicyEntry = z
  .strictObject({
    objective: ObjectiveText,
    period: PeriodText.prefault('month'),
    timeZone: TimeZoneName.default('UTC'),
    calendar: BusinessCalendarEntry.nullable().default(null),
    downtime: z
      .strictObject({
        incidentPriorities: z.array(z.enum(PRIORITIES)).default(['P1', 'P2']),
        availabilityChecks: z.boolean().default(true),
        agentDown: z.boolean().default(true),
      })
      .default({ incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true }),
    dependencies: z.enum(['none', 'any', 'all']).default('none'),
    excludeMaintenance: z.boolean().default(true),
    targets: z.partialRecord(z.enum(PRIORITIES), TargetEntry).default({}),
    pageOnFastBurn: z.boolean().default(false),
    metrics: MetricSlisEntry.nullable().default(null),
  })
  .transform(
    (e): SlaPolicy => ({
      objectivePpm: e.objective,
      period: e.period.kind === 'calendar' ? { ...e.period, timeZone: e.timeZone } : e.period,
      serviceCalendar: e.calendar,
      downtime: e.downtime,
      dependencies: e.dependencies,
      excludeMaintenance: e.excludeMaintenance,
      targets: Object.fromEntries(
        Object.entries(e.targets).map(([priority, t]) => [priority, { respondMs: t?.respond ?? null, resolveMs: t?.resolve ?? null, calendar: t?.calendar ?? ALWAYS }]),
      ),
      pageOnFastBurn: e.pageOnFastBurn,
      ...(e.metrics ? { metrics: e.metrics } : {}),
    }),
  );
export type SlaPolicyEntry = z.input<typeof SlaPolicyEntry>;

function formatCalendar(c: BusinessCalendar): SlaCalendarText {
  if (c.weeklyHours === null && c.holidays.length === 0 && c.timeZone === 'UTC') return '24x7';
  return { timeZone: c.timeZone, hours: c.weeklyHours?.map((h) => ({ days: [...h.days], start: h.start, end: h.end })) ?? null, holidays: [...c.holidays] };
}

type SlaCalendarText = '24x7' | { timeZone: string; hours: WeeklyHours[] | null; holidays: string[] };

/**
 * A policy written back as the `sla` field, every default spelled out: what the API shows
 * and what is stored, so that `SlaPolicyEntry.parse(formatSlaPolicy(p))` gives `p` again.
 */
export function formatSlaPolicy(policy: SlaPolicy) {
  return {
    objective: formatObjectivePpm(policy.objectivePpm),
    period: policy.period.kind === 'rolling' ? `${policy.period.days}d` : policy.period.unit,
    timeZone: policy.period.kind === 'calendar' ? policy.period.timeZone : 'UTC',
    calendar: policy.serviceCalendar ? formatCalendar(policy.serviceCalendar) : null,
    downtime: { incidentPriorities: [...policy.downtime.incidentPriorities], availabilityChecks: policy.downtime.availabilityChecks, agentDown: policy.downtime.agentDown },
    dependencies: policy.dependencies,
    excludeMaintenance: policy.excludeMaintenance,
    targets: Object.fromEntries(
      PRIORITIES.filter((p) => policy.targets[p]).map((p) => {
        const t = policy.targets[p] as ResponseResolutionTarget;
        return [p, { ...(t.respondMs === null ? {} : { respond: formatDuration(t.respondMs) }), ...(t.resolveMs === null ? {} : { resolve: formatDuration(t.resolveMs) }), calendar: formatCalendar(t.calendar) }];
      }),
    ),
    pageOnFastBurn: policy.pageOnFastBurn,
    // Only when there are some: policies without metric SLIs read exactly as before.
    ...(policy.metrics
      ? {
          metrics: {
            prometheusUrl: policy.metrics.prometheusUrl,
            step: formatDuration(policy.metrics.stepMs),
            slis: policy.metrics.slis.map((s) => ({ name: s.name, ...(s.objectivePpm === null ? {} : { objective: formatObjectivePpm(s.objectivePpm) }), good: s.good, total: s.total })),
          },
        }
      : {}),
  } satisfies SlaPolicyEntry;
}
