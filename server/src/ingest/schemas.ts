/**
 * @module Building blocks shared by the ingest formats' zod schemas.
 */
import { z } from 'zod';
import { LABEL_NAME } from '../domain/alert.js';
import { parseRfc3339, timeSkewProblem, type TimeSkew } from '../domain/time.js';
import { StringMap } from '../domain/string-map.js';

/** Go's zero time, which Alertmanager and Grafana send for "no end". */
const GO_ZERO_TIME = /^0001-01-01T00:00:00(?:\.0+)?Z$/;

/** Labels and annotations: every key kept (see StringMap). */
export const LabelSet = StringMap;

/**
 * RFC 3339 timestamp with an offset → epoch ms; Go's zero time and empty strings → null
 * ("not given"). Whether the time is plausible (near now) is checked by {@link timeSkewIssue}.
 */
export const Timestamp = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    if (value === '' || GO_ZERO_TIME.test(value)) return null;
    const parsed = parseRfc3339(value);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  });

/**
 * The first of an alert's given times (in `times` order) that lies outside `skew` of `now`,
 * as an issue naming it; null when all are plausible. Times the parser fills in itself
 * (a missing start is now, a lease ends after the resolve timeout) are not checked.
 */
export function timeSkewIssue(index: number, times: Record<string, number | null | undefined>, now: number, skew: TimeSkew): ItemIssue | null {
  for (const [field, ms] of Object.entries(times)) {
    if (ms === null || ms === undefined) continue;
    const problem = timeSkewProblem(ms, now, skew);
    if (problem) return { index, path: `alerts.${index}.${field}`, message: `${field} ${problem}` };
  }
  return null;
}

/** A label set Prometheus would accept: at least one label, valid names, non-empty values. */
export const PrometheusLabelSet = LabelSet.superRefine((labels, ctx) => {
  const names = Object.keys(labels);
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one label is required' });
  for (const name of names) {
    if (!LABEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name ${JSON.stringify(name)}` });
    else if (labels[name] === '') ctx.addIssue({ code: 'custom', path: [name], message: 'label value must not be empty' });
  }
});

export interface ItemIssue {
  /** Index of the rejected item in the batch. */
  index: number;
  path: string;
  message: string;
}

export function issuesOf(error: z.ZodError, index: number, prefix = ''): ItemIssue[] {
  return error.issues.map((issue) => ({
    index,
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/** Parses each element of a batch on its own so one bad alert does not hide the good ones. */
export function parseEach<S extends z.ZodType>(
  schema: S,
  items: readonly unknown[],
  prefix: string,
): { parsed: { index: number; value: z.output<S> }[]; issues: ItemIssue[] } {
  const parsed: { index: number; value: z.output<S> }[] = [];
  const issues: ItemIssue[] = [];
  items.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) parsed.push({ index, value: result.data });
    else issues.push(...issuesOf(result.error, index, `${prefix}.${index}`));
  });
  return { parsed, issues };
}
