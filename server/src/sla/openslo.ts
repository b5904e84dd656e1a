/**
 * @module SLA policies as OpenSLO v1 documents (https://github.com/OpenSLO/OpenSLO, `openslo/v1`),
 * both ways. A service with a policy becomes a `Service`, an incident-based availability
 * `SLI` + `SLO` (budgeting `Timeslices`, indicator of type `Sightline`), one Prometheus ratio
 * `SLI` + `SLO` (`Occurrences`) per metric SLI with the `DataSource` they read, and an
 * `AlertPolicy` holding the four multiwindow burn-rate `AlertCondition`s.
 *
 * What OpenSLO has no field for (service calendar, response/resolution targets per priority,
 * what counts as downtime, dependency propagation, tier, owner, …) is written as
 * `metadata.annotations` under `sightline.dev/`, so export → import → export gives the same
 * bytes. Output is deterministic: services by name, keys in a fixed order, no YAML anchors.
 *
 * Import validates every document (zod) and names the document and the field of each problem;
 * anything it cannot apply exactly is an error, except alert conditions other than Sightline's
 * fixed burn-rate rules, which are reported as warnings and left out.
 */
import { DateTime } from 'luxon';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { fail, ok, type Result } from '../domain/result.js';
import { ServiceEntry, type ServiceDefinition } from '../domain/service.js';
import { formatObjectivePpm, formatSlaPolicy, PPM, SlaPolicyEntry, type SlaPeriod, type SlaPolicy } from '../domain/sla.js';
import { BURN_RATE_RULES, type BurnRateRule } from './burn-rate.js';

export const API_VERSION = 'openslo/v1';

/** Sightline's annotations; every key starts with `sightline.dev/`. */
export const ANNOTATIONS = {
  serviceName: 'sightline.dev/service-name',
  tier: 'sightline.dev/tier',
  owner: 'sightline.dev/owner',
  dependsOn: 'sightline.dev/depends-on',
  match: 'sightline.dev/match',
  downtime: 'sightline.dev/downtime',
  dependencies: 'sightline.dev/dependencies',
  excludeMaintenance: 'sightline.dev/exclude-maintenance',
  serviceCalendar: 'sightline.dev/service-calendar',
  targets: 'sightline.dev/targets',
  pageOnFastBurn: 'sightline.dev/page-on-fast-burn',
  step: 'sightline.dev/step',
  sli: 'sightline.dev/sli',
  shortWindow: 'sightline.dev/short-window',
  budgetFraction: 'sightline.dev/budget-fraction',
} as const;

const DAY_MS = 86_400_000;
const WINDOW_MS: Record<string, number> = { '5m': 300_000, '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000, '6h': 21_600_000, '1d': DAY_MS, '3d': 3 * DAY_MS };
const UNIT_DURATION = { week: '1w', month: '1M', quarter: '1Q' } as const;
/** A Monday, the first of a month and of a quarter: the start of every calendar period in its zone. */
const CALENDAR_ORIGIN = '2024-01-01 00:00:00';
const START_TIME_FORMAT = 'yyyy-MM-dd HH:mm:ss';

/**
 * The period length burn-rate thresholds are quoted for: a calendar month as 30 days, a quarter
 * as 90 (the evaluation itself scales them to the period's real length).
 */
export function nominalPeriodMs(period: SlaPeriod): number {
  if (period.kind === 'rolling') return period.days * DAY_MS;
  return { week: 7, month: 30, quarter: 90 }[period.unit] * DAY_MS;
}

/** fraction × period / long window (14.4, 6, 3, 1 for 30 days), to six significant digits. */
export function nominalBurnThreshold(rule: BurnRateRule, period: SlaPeriod): number {
  return Number(((rule.budgetFractionPpm * nominalPeriodMs(period)) / (PPM * (WINDOW_MS[rule.long] as number))).toPrecision(6));
}

// ---------------------------------------------------------------------------------------
// Export

type Doc = { apiVersion: typeof API_VERSION; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };

const doc = (kind: string, name: string, annotations: Record<string, string>, spec: Record<string, unknown>, displayName?: string): Doc => ({
  apiVersion: API_VERSION,
  kind,
  metadata: { name, ...(displayName ? { displayName } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
  spec,
});

/** A service name as an RFC 1123 label of at most `max` characters. */
function dnsLabel(name: string, max: number): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return label || 'service';
}

/** Longest suffix added to a service's label: `-` and a 32-character metric SLI name. */
const BASE_MAX = 63 - 33;

function timeWindowOf(period: SlaPeriod) {
  if (period.kind === 'rolling') return [{ duration: `${period.days}d`, isRolling: true }];
  return [{ duration: UNIT_DURATION[period.unit], isRolling: false, calendar: { startTime: CALENDAR_ORIGIN, timeZone: period.timeZone } }];
}

const ratio = (ppm: number) => ppm / PPM;

/** The OpenSLO v1 documents of every service with a policy, as one YAML stream. */
export function exportOpenSlo(services: readonly ServiceDefinition[]): string {
  const withPolicy = services.filter((s): s is ServiceDefinition & { sla: SlaPolicy } => s.sla !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const used = new Set<string>();
  const docs: Doc[] = [];
  for (const service of withPolicy) {
    let base = dnsLabel(service.name, BASE_MAX);
    for (let n = 2; used.has(base); n++) base = `${dnsLabel(service.name, BASE_MAX - String(n).length - 1)}-${n}`;
    used.add(base);
    const policy = service.sla;
    const text = formatSlaPolicy(policy);
    const window = timeWindowOf(policy.period);
    const alertPolicy = `${base}-burn-rate`;

    docs.push(
      doc(
        'Service',
        base,
        {
          ...(base === service.name ? {} : { [ANNOTATIONS.serviceName]: service.name }),
          [ANNOTATIONS.tier]: String(service.tier),
          ...(service.owner === null ? {} : { [ANNOTATIONS.owner]: service.owner }),
          ...(service.dependsOn.length ? { [ANNOTATIONS.dependsOn]: JSON.stringify(service.dependsOn) } : {}),
          ...(Object.keys(service.match).length ? { [ANNOTATIONS.match]: JSON.stringify(service.match) } : {}),
        },
        { description: `Tier ${service.tier} service of the Sightline catalogue` },
        base === service.name ? undefined : service.name,
      ),
    );
    if (policy.metrics) {
      docs.push(
        doc('DataSource', `${base}-prometheus`, { [ANNOTATIONS.step]: text.metrics?.step as string }, { description: `Prometheus that measures ${service.name}`, type: 'Prometheus', connectionDetails: { url: policy.metrics.prometheusUrl } }),
      );
    }
    const availability = `${base}-availability`;
    docs.push(
      doc(
        'SLI',
        availability,
        {
          [ANNOTATIONS.downtime]: JSON.stringify(text.downtime),
          [ANNOTATIONS.dependencies]: text.dependencies,
          [ANNOTATIONS.excludeMaintenance]: String(text.excludeMaintenance),
        },
        {
          description: `Time ${service.name} is in service and not down; downtime comes from Sightline's incidents, availability checks and agents`,
          thresholdMetric: { metricSource: { type: 'Sightline', spec: { indicator: 'uptime' } } },
        },
      ),
      doc(
        'SLO',
        availability,
        {
          ...(text.calendar === null ? {} : { [ANNOTATIONS.serviceCalendar]: JSON.stringify(text.calendar) }),
          ...(Object.keys(text.targets).length ? { [ANNOTATIONS.targets]: JSON.stringify(text.targets) } : {}),
        },
        {
          description: `Availability of ${service.name}`,
          service: base,
          indicatorRef: availability,
          budgetingMethod: 'Timeslices',
          timeWindow: window,
          objectives: [{ displayName: 'availability', target: ratio(policy.objectivePpm), timeSliceTarget: 1, timeSliceWindow: '1m' }],
          alertPolicies: [alertPolicy],
        },
      ),
    );
    for (const sli of policy.metrics?.slis ?? []) {
      const name = `${base}-${sli.name}`;
      const source = (query: string) => ({ metricSource: { metricSourceRef: `${base}-prometheus`, type: 'Prometheus', spec: { query } } });
      docs.push(
        doc('SLI', name, {}, { description: `Good ${sli.name} of ${service.name} among all, from Prometheus counters`, ratioMetric: { counter: true, good: source(sli.good), total: source(sli.total) } }),
        doc(
          'SLO',
          name,
          { [ANNOTATIONS.sli]: sli.name },
          {
            description: `${sli.name} of ${service.name}`,
            service: base,
            indicatorRef: name,
            budgetingMethod: 'Occurrences',
            timeWindow: window,
            objectives: [{ displayName: sli.name, target: ratio(sli.objectivePpm ?? policy.objectivePpm) }],
            alertPolicies: [alertPolicy],
          },
        ),
      );
    }
    docs.push(
      doc('AlertPolicy', alertPolicy, { [ANNOTATIONS.pageOnFastBurn]: String(policy.pageOnFastBurn) }, {
        description: `Multiwindow, multi-burn-rate alerts on the error budget of ${service.name}`,
        alertWhenBreaching: true,
        alertWhenResolved: false,
        alertWhenNoData: false,
        conditions: BURN_RATE_RULES.map((rule) => ({
          kind: 'AlertCondition',
          metadata: {
            name: `${base}-burn-${rule.long}`,
            annotations: { [ANNOTATIONS.budgetFraction]: String(rule.budgetFractionPpm / PPM), [ANNOTATIONS.shortWindow]: rule.short },
          },
          spec: {
            description: `${(rule.budgetFractionPpm / 10_000).toString()} % of the budget spent within ${rule.long}, still burning over ${rule.short}`,
            severity: rule.severity,
            condition: { kind: 'burnrate', op: 'gt', threshold: nominalBurnThreshold(rule, policy.period), lookbackWindow: rule.long },
          },
        })),
        notificationTargets: [],
      }),
    );
  }
  return docs.map((d) => `---\n${stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

// ---------------------------------------------------------------------------------------
// Import

const KINDS = ['Service', 'SLI', 'SLO', 'DataSource', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget'] as const;
type Kind = (typeof KINDS)[number];

const DnsName = z.string().regex(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'must be an RFC 1123 label: lowercase letters, digits and -, at most 63');
const Metadata = z.object({
  name: DnsName,
  displayName: z.string().optional(),
  annotations: z.record(z.string(), z.string(), { error: 'must map names to strings' }).optional(),
  labels: z.unknown().optional(),
});
type Metadata = z.infer<typeof Metadata>;

const Envelope = z.object({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.enum(KINDS, { error: `must be one of ${KINDS.join(', ')}` }),
  metadata: Metadata,
  spec: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }),
});

const MetricSpec = z.object({
  metricSource: z.object({ metricSourceRef: z.string().optional(), type: z.string().optional(), spec: z.record(z.string(), z.unknown()).default({}) }),
});
type MetricSpec = z.infer<typeof MetricSpec>;

const SliSpec = z.object({
  description: z.string().optional(),
  thresholdMetric: MetricSpec.optional(),
  ratioMetric: z.object({ counter: z.boolean().optional(), good: MetricSpec.optional(), bad: MetricSpec.optional(), total: MetricSpec.optional(), raw: MetricSpec.optional() }).optional(),
});
type SliSpec = z.infer<typeof SliSpec>;

const Target = z.number().transform((target, ctx) => {
  const m = /^0\.(\d{1,6})$/.exec(String(target));
  const ppm = m ? Number((m[1] as string).padEnd(6, '0')) : 0;
  if (ppm <= 0 || ppm >= PPM) {
    ctx.addIssue({ code: 'custom', message: 'must be a ratio above 0 and below 1 with at most 6 decimals, such as 0.999' });
    return z.NEVER;
  }
  return ppm;
});

const AlertConditionSpec = z.object({
  description: z.string().optional(),
  severity: z.string(),
  condition: z.object({ kind: z.string(), op: z.string(), threshold: z.number(), lookbackWindow: z.string(), alertAfter: z.string().optional() }),
});
type AlertConditionSpec = z.infer<typeof AlertConditionSpec>;

const Inline = <S extends z.ZodType>(kind: string, spec: S) => z.object({ kind: z.literal(kind), metadata: Metadata, spec });

const SPECS = {
  Service: z.object({ description: z.string().optional() }),
  SLI: SliSpec,
  SLO: z
    .object({
      description: z.string().optional(),
      service: z.string().min(1),
      indicator: z.object({ metadata: Metadata, spec: SliSpec }).optional(),
      indicatorRef: z.string().optional(),
      budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices']),
      timeWindow: z
        .array(z.object({ duration: z.string(), isRolling: z.boolean().default(false), calendar: z.object({ startTime: z.string(), timeZone: z.string() }).optional() }))
        .length(1, 'Sightline measures an SLO over exactly one time window'),
      objectives: z.array(z.object({ displayName: z.string().optional(), target: Target })).length(1, 'Sightline takes exactly one objective per SLO'),
      alertPolicies: z.array(z.union([z.string(), Inline('AlertPolicy', z.record(z.string(), z.unknown()))])).default([]),
    })
    .refine((s) => (s.indicator === undefined) !== (s.indicatorRef === undefined), { message: 'give either indicator or indicatorRef', path: ['indicatorRef'] }),
  DataSource: z.object({ type: z.string(), connectionDetails: z.record(z.string(), z.unknown()) }),
  AlertPolicy: z.object({
    description: z.string().optional(),
    conditions: z.array(z.union([z.object({ conditionRef: z.string() }), Inline('AlertCondition', AlertConditionSpec)])).min(1),
  }),
  AlertCondition: AlertConditionSpec,
  AlertNotificationTarget: z.record(z.string(), z.unknown()),
} satisfies Record<Kind, z.ZodType>;

interface Parsed {
  kind: Kind;
  metadata: Metadata;
  spec: any;
  label: string;
}

/** A policy read from OpenSLO documents. */
export interface ImportedPolicy {
  service: string;
  /** The whole service when the file has its `Service` document; otherwise the service must exist and keeps all but its policy. */
  definition: ServiceDefinition | null;
  sla: SlaPolicy;
  /** The document the policy comes from (its availability SLO). */
  source: string;
}

export interface OpenSloImport {
  policies: ImportedPolicy[];
  warnings: string[];
}

const issuesOf = (error: z.ZodError, label: string, prefix = '') =>
  error.issues.map((i) => `${label}: ${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(document)'}: ${i.message}`);

/** Reads an OpenSLO v1 YAML stream (documents, or lists of documents) into policies, or lists every problem. */
export function importOpenSlo(text: string): Result<OpenSloImport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const objects: Parsed[] = [];
  parseAllDocuments(text).forEach((document, d) => {
    const where = `document ${d + 1}`;
    if (document.errors.length) {
      problems.push(`${where}: not YAML: ${document.errors[0]?.message}`);
      return;
    }
    const content: unknown = document.toJS();
    if (content === null || content === undefined) return;
    const items = Array.isArray(content) ? content.map((c, i) => [c, `${where} item ${i + 1}`] as const) : [[content, where] as const];
    for (const [item, at] of items) {
      const envelope = Envelope.safeParse(item);
      if (!envelope.success) {
        problems.push(...issuesOf(envelope.error, at));
        continue;
      }
      const { kind, metadata } = envelope.data;
      const label = `${at} (${kind} ${metadata.name})`;
      const spec = SPECS[kind].safeParse(envelope.data.spec);
      if (!spec.success) problems.push(...issuesOf(spec.error, label, 'spec'));
      else objects.push({ kind, metadata, spec: spec.data, label });
    }
  });
  const byKind = new Map<string, Parsed>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.name}`;
    if (byKind.has(key)) problems.push(`${o.label}: metadata.name: a second ${o.kind} named ${o.metadata.name}`);
    byKind.set(key, o);
  }
  const find = (kind: Kind, name: string) => byKind.get(`${kind}/${name}`);
  const annotation = (o: { metadata: Metadata }, key: string) => o.metadata.annotations?.[key];
  const annotationField = (key: string) => `metadata.annotations."${key}"`;
  /** A JSON annotation, or undefined (a problem recorded) when it does not parse. */
  const jsonAnnotation = (o: Parsed, key: string): unknown => {
    const value = annotation(o, key);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch (error) {
      problems.push(`${o.label}: ${annotationField(key)}: not JSON: ${(error as Error).message}`);
      return undefined;
    }
  };
  const boolAnnotation = (o: Parsed, key: string): boolean | undefined => {
    const value = annotation(o, key);
    if (value === undefined || value === 'true' || value === 'false') return value === undefined ? undefined : value === 'true';
    problems.push(`${o.label}: ${annotationField(key)}: must be "true" or "false"`);
    return undefined;
  };

  interface Group {
    service: string;
    serviceDoc: Parsed | undefined;
    availability: { slo: Parsed; sli: Parsed; period: SlaPeriodText } | null;
    metrics: { slo: Parsed; sli: Parsed; name: string; objectivePpm: number; good: string; total: string; url: string; step: string | undefined; sourceLabel: string; period: SlaPeriodText }[];
    alertPolicies: Parsed[];
  }
  const groups = new Map<string, Group>();

  for (const slo of objects.filter((o) => o.kind === 'SLO')) {
    const spec = slo.spec as z.infer<(typeof SPECS)['SLO']>;
    const serviceDoc = find('Service', spec.service);
    const service = (serviceDoc && annotation(serviceDoc, ANNOTATIONS.serviceName)) ?? spec.service;
    let group = groups.get(service);
    if (!group) groups.set(service, (group = { service, serviceDoc, availability: null, metrics: [], alertPolicies: [] }));
    let sli: Parsed | undefined;
    if (spec.indicatorRef !== undefined) {
      sli = find('SLI', spec.indicatorRef);
      if (!sli) {
        problems.push(`${slo.label}: spec.indicatorRef: no SLI named ${spec.indicatorRef} in the file`);
        continue;
      }
    } else if (spec.indicator) {
      sli = { kind: 'SLI', metadata: spec.indicator.metadata, spec: spec.indicator.spec, label: `${slo.label} spec.indicator` };
    }
    const indicator = (sli as Parsed).spec as SliSpec;
    const period = periodOf(spec.timeWindow[0] as TimeWindow);
    if (!period.ok) {
      problems.push(`${slo.label}: spec.timeWindow.0.${period.field}: ${period.message}`);
      continue;
    }
    const objectivePpm = (spec.objectives[0] as { target: number }).target;
    for (const policy of spec.alertPolicies) {
      if (typeof policy !== 'string') group.alertPolicies.push({ kind: 'AlertPolicy', metadata: policy.metadata, spec: policy.spec, label: `${slo.label} spec.alertPolicies (${policy.metadata.name})` });
      else {
        const found = find('AlertPolicy', policy);
        if (found) group.alertPolicies.push(found);
        else problems.push(`${slo.label}: spec.alertPolicies: no AlertPolicy named ${policy} in the file`);
      }
    }
    const sourceType = indicator.thresholdMetric?.metricSource.type;
    if (sourceType === 'Sightline') {
      if (spec.budgetingMethod !== 'Timeslices') problems.push(`${slo.label}: spec.budgetingMethod: Sightline's availability is measured in time: Timeslices`);
      else if (group.availability) problems.push(`${slo.label}: spec.indicatorRef: ${service} already has an availability SLO (${group.availability.slo.metadata.name})`);
      else group.availability = { slo, sli: sli as Parsed, period: { ...period.value, objectivePpm } };
      continue;
    }
    const ratioMetric = indicator.ratioMetric;
    if (!ratioMetric?.good || !ratioMetric.total) {
      problems.push(`${(sli as Parsed).label}: spec: Sightline measures ratio SLIs with good and total Prometheus queries (ratioMetric.good, ratioMetric.total) or its own availability (thresholdMetric of type Sightline)`);
      continue;
    }
    if (spec.budgetingMethod !== 'Occurrences') {
      problems.push(`${slo.label}: spec.budgetingMethod: Sightline counts the events of a ratio SLI: Occurrences`);
      continue;
    }
    const side = (which: 'good' | 'total', m: MetricSpec) => {
      const field = `${(sli as Parsed).label}: spec.ratioMetric.${which}.metricSource`;
      const source = m.metricSource.metricSourceRef === undefined ? undefined : find('DataSource', m.metricSource.metricSourceRef);
      const query = m.metricSource.spec.query;
      if ((m.metricSource.type ?? source?.spec.type)?.toLowerCase() !== 'prometheus') problems.push(`${field}.type: Sightline reads Prometheus`);
      else if (typeof query !== 'string' || query.trim() === '') problems.push(`${field}.spec.query: must be a PromQL series selector of a counter`);
      else if (!source) problems.push(`${field}.metricSourceRef: must name a DataSource in the file with connectionDetails.url`);
      else if (typeof source.spec.connectionDetails.url !== 'string') problems.push(`${source.label}: spec.connectionDetails.url: must be the URL of Prometheus`);
      else return { query, url: source.spec.connectionDetails.url as string, step: annotation(source, ANNOTATIONS.step), sourceLabel: source.label };
      return null;
    };
    const good = side('good', ratioMetric.good);
    const total = side('total', ratioMetric.total);
    if (!good || !total) continue;
    if (good.url !== total.url) {
      problems.push(`${(sli as Parsed).label}: spec.ratioMetric: good and total must come from the same Prometheus`);
      continue;
    }
    const name = annotation(slo, ANNOTATIONS.sli) ?? (spec.service && slo.metadata.name.startsWith(`${spec.service}-`) ? slo.metadata.name.slice(spec.service.length + 1) : slo.metadata.name);
    group.metrics.push({ slo, sli: sli as Parsed, name, objectivePpm, good: good.query, total: total.query, url: good.url, step: good.step, sourceLabel: good.sourceLabel, period: { ...period.value, objectivePpm } });
  }

  const policies: ImportedPolicy[] = [];
  for (const group of groups.values()) {
    const { availability } = group;
    if (!availability) {
      // A group with no SLO read without problems has its problems listed already.
      if (group.metrics.length) problems.push(`${group.metrics[0]?.slo.label}: spec.service: ${group.service} has no availability SLO (an SLI with thresholdMetric of type Sightline), which a Sightline policy needs beside its metric SLIs`);
      continue;
    }
    const { slo, sli, period } = availability;
    const origin = new Map<string, string>();
    const entry: Record<string, unknown> = { objective: formatObjectivePpm(period.objectivePpm), period: period.text, timeZone: period.timeZone };
    const from = (key: string, o: Parsed, annotationKey: string, value: unknown) => {
      if (value === undefined) return;
      entry[key] = value;
      origin.set(key, `${o.label}: ${annotationField(annotationKey)}`);
    };
    from('calendar', slo, ANNOTATIONS.serviceCalendar, jsonAnnotation(slo, ANNOTATIONS.serviceCalendar));
    from('targets', slo, ANNOTATIONS.targets, jsonAnnotation(slo, ANNOTATIONS.targets));
    from('downtime', sli, ANNOTATIONS.downtime, jsonAnnotation(sli, ANNOTATIONS.downtime));
    from('dependencies', sli, ANNOTATIONS.dependencies, annotation(sli, ANNOTATIONS.dependencies));
    from('excludeMaintenance', sli, ANNOTATIONS.excludeMaintenance, boolAnnotation(sli, ANNOTATIONS.excludeMaintenance));
    let pageOnFastBurn: boolean | undefined;
    for (const policy of group.alertPolicies) {
      const page = boolAnnotation(policy, ANNOTATIONS.pageOnFastBurn);
      if (page !== undefined) from('pageOnFastBurn', policy, ANNOTATIONS.pageOnFastBurn, (pageOnFastBurn = (pageOnFastBurn ?? false) || page));
      (policy.spec.conditions as unknown[]).forEach((c, i) => {
        const condition =
          typeof c === 'object' && c !== null && 'conditionRef' in c ? find('AlertCondition', (c as { conditionRef: string }).conditionRef) : ({ ...(c as object), label: `${policy.label} spec.conditions.${i}` } as Parsed);
        if (!condition) problems.push(`${policy.label}: spec.conditions.${i}.conditionRef: no AlertCondition named ${(c as { conditionRef: string }).conditionRef} in the file`);
        else if (!isSightlineRule(condition, period)) warnings.push(`${condition.label}: not one of Sightline's burn-rate rules (1h/5m, 6h/30m, 1d/2h, 3d/6h at the period's thresholds); left out`);
      });
    }
    const periodText = (p: SlaPeriodText) => `${p.text}@${p.timeZone}`;
    const metrics = group.metrics.filter((m) => {
      if (periodText(m.period) === periodText(period)) return true;
      problems.push(`${m.slo.label}: spec.timeWindow: must be the time window of ${slo.metadata.name}, as a Sightline policy has one period`);
      return false;
    });
    if (metrics.length) {
      const first = metrics[0] as (typeof metrics)[number];
      const other = metrics.find((m) => m.url !== first.url || m.step !== first.step);
      if (other) problems.push(`${other.slo.label}: spec.indicatorRef: every metric SLI of ${group.service} reads the same DataSource (URL and ${ANNOTATIONS.step})`);
      entry.metrics = {
        prometheusUrl: first.url,
        ...(first.step === undefined ? {} : { step: first.step }),
        slis: metrics.map((m) => ({ name: m.name, ...(m.objectivePpm === period.objectivePpm ? {} : { objective: formatObjectivePpm(m.objectivePpm) }), good: m.good, total: m.total })),
      };
      origin.set('metrics', `${first.slo.label}: spec`);
    }
    /** Where a problem of the `metrics` field comes from: the DataSource, or the metric SLI's documents. */
    const metricsOrigin = (path: string[]): string | null => {
      const [, field, index, sliField] = path;
      const first = metrics[0];
      if (!first) return null;
      if (field === 'prometheusUrl') return `${first.sourceLabel}: spec.connectionDetails.url`;
      if (field === 'step') return `${first.sourceLabel}: ${annotationField(ANNOTATIONS.step)}`;
      const m = metrics[Number(index)];
      if (field !== 'slis' || !m) return null;
      if (sliField === 'good' || sliField === 'total') return `${m.sli.label}: spec.ratioMetric.${sliField}.metricSource.spec.query`;
      if (sliField === 'name') return `${m.slo.label}: ${annotationField(ANNOTATIONS.sli)}`;
      return `${m.slo.label}: spec.objectives.0.target`;
    };
    const parsed = SlaPolicyEntry.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const [top, ...rest] = issue.path.map(String);
        const fromMetrics = top === 'metrics' ? metricsOrigin(issue.path.map(String)) : null;
        if (fromMetrics) {
          problems.push(`${fromMetrics}: ${issue.message}`);
          continue;
        }
        const field = [top === undefined || origin.has(top) ? '' : top, ...rest].filter(Boolean).join('.');
        problems.push(`${origin.get(top ?? '') ?? `${slo.label}: spec`}: ${field ? `${field}: ` : ''}${issue.message}`);
      }
      continue;
    }
    let definition: ServiceDefinition | null = null;
    if (group.serviceDoc) {
      const d = group.serviceDoc;
      const fields = { tier: ANNOTATIONS.tier, owner: ANNOTATIONS.owner, dependsOn: ANNOTATIONS.dependsOn, match: ANNOTATIONS.match } as const;
      const tier = annotation(d, fields.tier);
      const service = ServiceEntry.safeParse({
        name: group.service,
        ...(tier === undefined ? {} : { tier: /^\d+$/.test(tier) ? Number(tier) : tier }),
        ...(annotation(d, fields.owner) === undefined ? {} : { owner: annotation(d, fields.owner) }),
        ...(annotation(d, fields.dependsOn) === undefined ? {} : { dependsOn: jsonAnnotation(d, fields.dependsOn) }),
        ...(annotation(d, fields.match) === undefined ? {} : { match: jsonAnnotation(d, fields.match) }),
      });
      if (!service.success) {
        for (const issue of service.error.issues) {
          const [top, ...rest] = issue.path.map(String);
          const key = top === 'name' ? ANNOTATIONS.serviceName : fields[top as keyof typeof fields];
          problems.push(`${d.label}: ${key ? annotationField(key) : 'metadata'}${rest.length ? `: ${rest.join('.')}` : ''}: ${issue.message}`);
        }
        continue;
      }
      if (service.data.dependsOn.includes(service.data.name)) {
        problems.push(`${d.label}: ${annotationField(fields.dependsOn)}: a service cannot depend on itself`);
        continue;
      }
      definition = { ...service.data, sla: parsed.data };
    }
    policies.push({ service: group.service, definition, sla: parsed.data, source: slo.label });
  }
  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const name = annotation(s, ANNOTATIONS.serviceName) ?? s.metadata.name;
    if (!groups.has(name)) warnings.push(`${s.label}: no SLO names this service; left out`);
  }
  if (problems.length) return fail('VALIDATION', problems[0] as string, { problems });
  return ok({ policies: policies.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0)), warnings });
}

type TimeWindow = { duration: string; isRolling: boolean; calendar?: { startTime: string; timeZone: string } | undefined };
interface SlaPeriodText {
  /** As the `sla.period` field: week, month, quarter or Nd. */
  text: string;
  timeZone: string;
  period: SlaPeriod;
  objectivePpm: number;
}

function periodOf(w: TimeWindow): { ok: true; value: { text: string; timeZone: string; period: SlaPeriod } } | { ok: false; field: string; message: string } {
  if (w.isRolling) {
    const m = /^([1-9]\d{0,2})([dw])$/.exec(w.duration);
    const days = m ? Number(m[1]) * (m[2] === 'w' ? 7 : 1) : 0;
    if (!m || days > 999) return { ok: false, field: 'duration', message: 'a rolling window is whole days or weeks up to 999 days, such as 30d or 4w' };
    return { ok: true, value: { text: `${days}d`, timeZone: 'UTC', period: { kind: 'rolling', days } } };
  }
  const unit = (Object.keys(UNIT_DURATION) as (keyof typeof UNIT_DURATION)[]).find((u) => UNIT_DURATION[u] === w.duration);
  if (!unit) return { ok: false, field: 'duration', message: 'a calendar window is 1w, 1M or 1Q' };
  const timeZone = w.calendar?.timeZone ?? 'UTC';
  const start = DateTime.fromFormat(w.calendar?.startTime ?? CALENDAR_ORIGIN, START_TIME_FORMAT, { zone: timeZone });
  if (!start.isValid) {
    if (start.invalidReason === 'unsupported zone') return { ok: false, field: 'calendar.timeZone', message: 'must be an IANA time zone such as Europe/Berlin' };
    return { ok: false, field: 'calendar.startTime', message: 'must be a local time "YYYY-MM-DD HH:MM:SS"' };
  }
  if (start.toMillis() !== start.startOf(unit).toMillis())
    return { ok: false, field: 'calendar.startTime', message: `must start a ${unit} (local midnight${unit === 'week' ? ' on a Monday' : unit === 'month' ? ' on the 1st' : ' on 1 January, April, July or October'}), as Sightline's calendar periods do` };
  return { ok: true, value: { text: unit, timeZone, period: { kind: 'calendar', unit, timeZone } } };
}

function isSightlineRule(c: Parsed, period: SlaPeriodText): boolean {
  const spec = c.spec as AlertConditionSpec;
  const rule = BURN_RATE_RULES.find((r) => r.long === spec.condition.lookbackWindow);
  if (!rule || spec.condition.kind !== 'burnrate' || spec.condition.op !== 'gt') return false;
  if ((c.metadata.annotations?.[ANNOTATIONS.shortWindow] ?? rule.short) !== rule.short) return false;
  return Math.abs(spec.condition.threshold - nominalBurnThreshold(rule, period.period)) <= 1e-6 * spec.condition.threshold;
}
