/**
 * @module Reading JSON request bodies strictly: JSON content type, valid UTF-8, valid JSON.
 * The size limit is enforced before this by the body-limit middleware.
 */
import type { Context } from 'hono';
import { fail, ok, type Result } from '../domain/result.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface JsonBody {
  raw: Uint8Array;
  json: unknown;
}

export async function readJsonBody(c: Context): Promise<Result<JsonBody>> {
  const type = c.req.header('content-type');
  if (!type || !JSON_TYPE.test(type)) {
    return fail('UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: application/json, got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}`);
  }
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength === 0) return fail('VALIDATION', 'request body is empty; expected a JSON document');
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    return fail('VALIDATION', 'request body is not valid UTF-8');
  }
  try {
    return ok({ raw, json: JSON.parse(text) });
  } catch (error) {
    // RangeError covers absurdly deep nesting; either way the sender gets a 400, not a crash.
    const reason = error instanceof SyntaxError ? error.message : 'nesting too deep';
    return fail('VALIDATION', `malformed JSON: ${reason.slice(0, 200)}`);
  }
}
