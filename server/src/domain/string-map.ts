/**
 * @module A zod schema for names → string values (labels, annotations, label matchers given as
 * an object). Not `z.record`, which silently drops a key named `__proto__` (it assigns keys one
 * by one on a plain object): every key sent is kept, as an own property, or the value is refused
 * with the key's path.
 */
import { z } from 'zod';

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
