/**
 * @module Guards at the edge of the app: request URLs whose path or query decodes to U+0000
 * are refused (PostgreSQL's text type cannot hold it, so the query would fail with a 500;
 * both databases get the same clear 400 before any route reads a parameter), and a client
 * that hangs up mid-body is told apart from a server fault.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';

const ENCODED_NUL = /%00/i;

export const rejectNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (ENCODED_NUL.test(c.req.url)) return c.json(errorBody(c, 'VALIDATION', 'the URL must not contain the NUL character (%00)'), 400);
  await next();
};

/** The client closed the connection before its body arrived: nothing to answer, nothing broken. */
export function isClientAbort(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === 'ECONNRESET' && e.message === 'aborted';
}
