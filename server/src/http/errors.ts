/**
 * @module One error shape for every response: `{"error":{"code","message","requestId","details"?}}`,
 * and the one place where error codes become HTTP statuses.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppError, ErrorCode } from '../domain/result.js';

export function statusOf(code: ErrorCode | 'INTERNAL' | 'NOT_FOUND_ROUTE' | 'METHOD_NOT_ALLOWED'): ContentfulStatusCode {
  switch (code) {
    case 'VALIDATION':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'NOT_FOUND_ROUTE':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'CONFLICT':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'UNAVAILABLE':
      return 503;
    case 'RATE_LIMITED':
      return 429;
    case 'INTERNAL':
      return 500;
  }
}

export function errorBody(c: Context, code: string, message: string, details?: unknown) {
  const error: Record<string, unknown> = { code, message, requestId: c.get('requestId') ?? null };
  if (details !== undefined) error.details = details;
  return { error };
}

export function errorResponse(c: Context, error: AppError) {
  return c.json(errorBody(c, error.code, error.message, error.details), statusOf(error.code));
}
