/**
 * @module Label matchers as Alertmanager defines them (`=`, `!=`, `=~`, `!~`; regexes fully
 * anchored), used by silences, maintenance windows, inhibition and grouping rules.
 *
 * Regexes are RE2, as in Prometheus and Alertmanager: the syntax is theirs (no backreferences, no
 * lookaround) and matching takes time linear in the input, so no pattern a user sends can stall
 * correlation (`(a+)+` against `aaa…ab` backtracks exponentially in JavaScript's own engine).
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { LABEL_NAME, type Labels } from './alert.js';
import { labelNameMap } from './string-map.js';

/** Why RE2 refuses `pattern` (its own message, e.g. "invalid escape sequence: `\1`"), or null when it compiles. */
export function regexProblem(pattern: string): string | null {
  try {
    compileAnchored(pattern);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^error parsing regexp: /, '');
  }
}

/** `^(?:pattern)$`, as Alertmanager compiles it; throws what RE2 refuses. */
function compileAnchored(pattern: string): RE2JS {
  // The pattern alone first: `a)|(b` compiles once wrapped but is no regex on its own.
  RE2JS.compile(pattern);
  return RE2JS.compile(`^(?:${pattern})$`);
}

export const Matcher = z.strictObject({
  name: z.string().regex(LABEL_NAME, 'must be a label name'),
  value: z.string().max(1024),
  isRegex: z.boolean().default(false),
  isEqual: z.boolean().default(true),
});
export type Matcher = z.output<typeof Matcher>;

/** `{label: value}` shorthand or a list of matchers; regexes must be RE2. */
export const Matchers = z
  .union([
    z.array(Matcher),
    labelNameMap().transform((labels) => Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }))),
  ])
  .superRefine((matchers, ctx) => {
    if (matchers.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one matcher is required' });
    matchers.forEach((m, i) => {
      if (!m.isRegex) return;
      const problem = regexProblem(m.value);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: [i, 'value'], message: `invalid regular expression ${JSON.stringify(m.value)} (RE2 syntax): ${problem}` });
    });
  });

/** Compiled patterns, least recently used first; null for a pattern RE2 refuses. */
const compiled = new Map<string, RE2JS | null>();
const MAX_COMPILED = 1000;

function compiledRegex(pattern: string): RE2JS | null {
  let re = compiled.get(pattern);
  if (re !== undefined) {
    compiled.delete(pattern);
  } else {
    try {
      re = compileAnchored(pattern);
    } catch {
      re = null;
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  }
  compiled.set(pattern, re);
  return re;
}

/**
 * Whether `labels` satisfy `matcher`. A regex RE2 refuses (only rows stored before patterns were
 * checked can hold one) satisfies no matcher, `!~` included: a broken silence silences nothing.
 */
export function matches(matcher: Matcher, labels: Labels): boolean {
  // Own labels only: `__proto__` or `constructor` must not match what every object inherits.
  const value = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? '') : '';
  if (!matcher.isRegex) return (value === matcher.value) === matcher.isEqual;
  const re = compiledRegex(matcher.value);
  if (re === null) return false;
  return re.testExact(value) === matcher.isEqual;
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matches(m, labels));
}

const OPERATORS = { '=': { isRegex: false, isEqual: true }, '!=': { isRegex: false, isEqual: false }, '=~': { isRegex: true, isEqual: true }, '!~': { isRegex: true, isEqual: false } } as const;

/** In a quoted value only `\\`, `\"` and `\n` are escapes, as in Alertmanager: a regex's `\d` is typed as it is. */
const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
function unquote(text: string): string | null {
  if (text.length < 2 || !text.endsWith('"')) return null;
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const ch = text[i] as string;
    if (ch === '"') return null;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === '\\' || next === '"') out += next;
    else if (next === 'n') out += '\n';
    else if (next !== undefined && i + 1 < text.length - 1) out += `\\${next}`;
    else return null;
    i++;
  }
  return out;
}

/** A matcher as Alertmanager writes it: `name="value"`, `name!="value"`, `name=~"regex"` or `name!~"regex"`. */
export function formatMatcher(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return `${m.name}${op}${quote(m.value)}`;
}

/**
 * One matcher per line in the form `formatMatcher` writes (the value quoted, or bare to the end
 * of the line); blank lines are skipped. A line that is none of these is named with its number.
 * Names and regexes are checked later by `Matchers`.
 */
export function parseMatcherLines(text: string): { ok: true; matchers: Matcher[] } | { ok: false; message: string } {
  const matchers: Matcher[] = [];
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*)$/.exec(line);
    if (!m) return { ok: false, message: `line ${n + 1}: expected name="value", name!="value", name=~"regex" or name!~"regex"` };
    const [, name, op, rest] = m as unknown as [string, string, keyof typeof OPERATORS, string];
    const value = rest.startsWith('"') ? unquote(rest) : rest;
    if (value === null) return { ok: false, message: `line ${n + 1}: the quoted value does not end with a lone "` };
    matchers.push({ name, value, ...OPERATORS[op] });
  }
  return { ok: true, matchers };
}
