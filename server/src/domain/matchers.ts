/**
 * @module Label matchers as Alertmanager defines them (`=`, `!=`, `=~`, `!~`; regexes fully
 * anchored), used by silences, maintenance windows, inhibition and grouping rules.
 */
import { z } from 'zod';
import { LABEL_NAME, type Labels } from './alert.js';
import { labelNameMap } from './string-map.js';

export const Matcher = z.strictObject({
  name: z.string().regex(LABEL_NAME, 'must be a label name'),
  value: z.string().max(1024),
  isRegex: z.boolean().default(false),
  isEqual: z.boolean().default(true),
});
export type Matcher = z.output<typeof Matcher>;

/** `{label: value}` shorthand or a list of matchers; regexes are checked at the edge. */
export const Matchers = z
  .union([
    z.array(Matcher),
    labelNameMap().transform((labels) => Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }))),
  ])
  .superRefine((matchers, ctx) => {
    if (matchers.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one matcher is required' });
    matchers.forEach((m, i) => {
      if (!m.isRegex) return;
      try {
        new RegExp(`^(?:${m.value})$`);
      } catch {
        ctx.addIssue({ code: 'custom', path: [i, 'value'], message: `invalid regular expression ${JSON.stringify(m.value)}` });
      }
    });
  });

const compiled = new Map<string, RegExp>();
function regexOf(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

export function matches(matcher: Matcher, labels: Labels): boolean {
  // Own labels only: `__proto__` or `constructor` must not match what every object inherits.
  const value = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? '') : '';
  const hit = matcher.isRegex ? regexOf(matcher.value).test(value) : value === matcher.value;
  return matcher.isEqual ? hit : !hit;
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matches(m, labels));
}
