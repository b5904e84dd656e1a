/**
 * @module Refuses request URLs whose path or query decodes to U+0000. PostgreSQL's text
 * type cannot hold it (the query would fail with a 500), so both databases get the same
 * clear 400 before any route reads a parameter.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';

const ENCODED_NUL = /%00/i;

export const rejectNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (ENCODED_NUL.test(c.req.url)) return c.json(errorBody(c, 'VALIDATION', 'the URL must not contain the NUL character (%00)'), 400);
  await next();
};
