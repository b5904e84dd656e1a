/**
 * @module Reading JSON request bodies strictly: JSON content type, valid UTF-8, valid JSON.
 * The size limit is enforced before this by the body-limit middleware; a large body is parsed in
 * a turn of its own (turns.ts).
 */
import type { Context } from 'hono';
import { fail, ok, type AppError, type Result } from '../domain/result.js';
import { inTurnFor } from './turns.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface JsonBody {
  raw: Uint8Array;
  json: unknown;
}

export async function readJsonBody(c: Context): Promise<Result<JsonBody>> {
  const wrongType = checkJsonType(c);
  if (wrongType) return wrongType;
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength === 0) return fail('VALIDATION', 'request body is empty; expected a JSON document');
  return inTurnFor(raw.byteLength, () => parseJsonBytes(raw));
}

/**
 * A body the route can do without (an action's optional note): an empty one is `{}`, whatever
 * its headers say (`Content-Length: 0`, `curl -d ''` with its form content type, or no body at
 * all); any other must be JSON as for {@link readJsonBody}.
 */
export async function readOptionalJsonBody(c: Context): Promise<Result<JsonBody>> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength === 0) return ok({ raw, json: {} });
  return checkJsonType(c) ?? inTurnFor(raw.byteLength, () => parseJsonBytes(raw));
}

function checkJsonType(c: Context): { ok: false; error: AppError } | null {
  const type = c.req.header('content-type');
  if (type && JSON_TYPE.test(type)) return null;
  return fail('UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: application/json, got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}`);
}

function parseJsonBytes(raw: Uint8Array): Result<JsonBody> {
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    return fail('VALIDATION', 'request body is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // RangeError covers absurdly deep nesting; either way the sender gets a 400, not a crash.
    const reason = error instanceof SyntaxError ? error.message : 'nesting too deep';
    return fail('VALIDATION', `malformed JSON: ${reason.slice(0, 200)}`);
  }
  const shape = checkJsonShape(json, JSON_LIMITS);
  if (shape) return fail('VALIDATION', shape);
  if (hasNulString(text, json)) return fail('VALIDATION', NUL_MESSAGE);
  return ok({ raw, json });
}

export interface JsonLimits {
  maxDepth: number;
  maxValues: number;
}

/**
 * No sender nests deeper than a dozen levels; 64 leaves room. Deeper documents would make
 * recursive code further in (validation, JSON.stringify of free-form fields) overflow the stack.
 */
export const JSON_LIMITS: JsonLimits = { maxDepth: 64, maxValues: 1_000_000 };

/**
 * Why a parsed document is refused (too deep, or too many values to validate and copy
 * within bounded memory), or null. Iterative, so depth cannot overflow the stack here.
 */
export function checkJsonShape(json: unknown, limits: JsonLimits): string | null {
  if (json === null || typeof json !== 'object') return null;
  const stack: [unknown, number][] = [[json, 1]];
  let values = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (depth > limits.maxDepth) return `JSON nested deeper than ${limits.maxDepth} levels`;
    const children = Array.isArray(value) ? value : Object.values(value as object);
    values += children.length;
    if (values > limits.maxValues) return `JSON document has more than ${limits.maxValues} values`;
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return null;
}

export const NUL_MESSAGE = 'strings must not contain the NUL character (\\u0000)';

/**
 * Whether a parsed JSON document holds U+0000 in a string or key. PostgreSQL's text and
 * jsonb cannot store it, so both databases refuse it at the edge alike. Only a document
 * whose text has the `\u0000` escape (JSON allows no raw NUL) needs the walk.
 */
export function hasNulString(text: string, json: unknown): boolean {
  if (!text.includes('\\u0000')) return false;
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) stack.push(...value);
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key.includes('\u0000')) return true;
        stack.push(v);
      }
    }
  }
  return false;
}
