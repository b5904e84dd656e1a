/**
 * @module A zod schema for names → string values (labels, annotations, label matchers given as
 * an object). Not `z.record`, which silently drops a key named `__proto__` (it assigns keys one
 * by one on a plain object): every key sent is kept, as an own property, or the value is refused
 * with the key's path.
 */
import { z } from 'zod';
import { LABEL_NAME } from './alert.js';

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

export const StringMap = z.unknown().transform((value, ctx): Record<string, string> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `Invalid input: expected record, received ${kindOf(value)}` });
    return z.NEVER;
  }
  const entries = Object.entries(value);
  let valid = true;
  for (const [key, v] of entries) {
    if (typeof v === 'string') continue;
    ctx.addIssue({ code: 'custom', path: [key], message: `Invalid input: expected string, received ${kindOf(v)}` });
    valid = false;
  }
  // Object.fromEntries defines own properties, `__proto__` included.
  return valid ? (Object.fromEntries(entries) as Record<string, string>) : z.NEVER;
});

/**
 * A StringMap keyed by label names (a service's `match.labels`, the `{label: value}` matcher
 * shorthand); with `nonEmptyValues`, an empty value is refused too. Each problem has its key's path.
 */
export function labelNameMap(options: { nonEmptyValues?: boolean } = {}) {
  return StringMap.superRefine((labels, ctx) => {
    for (const [name, value] of Object.entries(labels)) {
      if (!LABEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be a label name' });
      else if (options.nonEmptyValues && value === '') ctx.addIssue({ code: 'custom', path: [name], message: 'must not be empty' });
    }
  });
}
