/**
 * @module Building blocks shared by the ingest formats' zod schemas.
 */
import { z } from 'zod';
import { LABEL_NAME } from '../domain/alert.js';
import { StringMap } from '../domain/string-map.js';

/** Go's zero time, which Alertmanager and Grafana send for "no end". */
const GO_ZERO_TIME = /^0001-01-01T00:00:00(?:\.0+)?Z$/;

/** Labels and annotations: every key kept (see StringMap). */
export const LabelSet = StringMap;

/** RFC 3339 timestamp → epoch ms; Go's zero time and empty strings → null. */
export const Timestamp = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    if (value === '' || GO_ZERO_TIME.test(value)) return null;
    const ms = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `not an RFC 3339 timestamp: ${JSON.stringify(value.slice(0, 40))}` });
      return z.NEVER;
    }
    return ms;
  });

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
