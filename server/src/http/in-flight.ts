/**
 * @module A bound on the request body bytes the server holds at once, all endpoints together, so
 * memory stays bounded however many senders push at the same time: past it, a request is refused
 * with 429 and Retry-After (which Prometheus, OTLP exporters and PagerDuty-style senders retry)
 * before its body is read.
 *
 * A body is counted from the moment it is read, so a request refused earlier (no token, wrong
 * scope) never holds any, and until its response is made, as the parsed document lives that long.
 * A chunked body is read by the body-limit middleware as it arrives, before the token check: it is
 * counted from then. A declared `Content-Length` is taken whole before the first byte is read; a
 * chunked body is counted as its chunks arrive. A request is always let through when nothing else
 * is held, so a single body up to the body limit never waits for ever, whatever the bound.
 * Requests without a body (health checks, reads) are never held back.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';

/** Thrown into a body read that would go past the bound; the app answers 429. */
export class InFlightLimitError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the server is holding ${limitBytes} bytes of request bodies, its limit (ingest.maxInFlightBytes); retry later`);
    this.name = 'InFlightLimitError';
  }
}

export interface InFlightLimit {
  middleware: MiddlewareHandler<AppEnv>;
  /** Bytes held right now. */
  bytes(): number;
}

export function createInFlightLimit(maxBytes: number, onChange: (bytes: number) => void = () => {}): InFlightLimit {
  let held = 0;

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const original = c.req.raw;
    if (original.method === 'GET' || original.method === 'HEAD' || original.body === null) return next();
    const length = original.headers.has('transfer-encoding') ? null : Number(original.headers.get('content-length'));
    const declared = length !== null && Number.isSafeInteger(length) && length >= 0 ? length : null;
    let mine = 0;
    /** Takes `n` more bytes for this request, unless others hold so much that it would pass the bound. */
    const take = (n: number): boolean => {
      const others = held - mine;
      if (others > 0 && others + mine + n > maxBytes) return false;
      held += n;
      mine += n;
      onChange(held);
      return true;
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    let received = 0;
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (reader === null) {
          if (declared !== null && !take(declared)) {
            // The original body is left unread: the server discards it once the answer is sent.
            controller.error(new InFlightLimitError(maxBytes));
            return;
          }
          const body = original.body;
          if (!body) {
            controller.close();
            return;
          }
          reader = body.getReader();
        }
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        received += value.byteLength;
        // Past a declared length (which the HTTP parser does not allow) or without one: count each chunk.
        const extra = declared === null ? value.byteLength : Math.max(0, received - Math.max(declared, received - value.byteLength));
        if (extra > 0 && !take(extra)) {
          controller.error(new InFlightLimitError(maxBytes));
          reader.releaseLock();
          return;
        }
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader?.cancel(reason);
      },
    });
    c.req.raw = new Request(original, { body: counted, duplex: 'half' } as RequestInit);
    try {
      await next();
    } finally {
      if (mine > 0) {
        held -= mine;
        onChange(held);
      }
    }
  };

  return { middleware, bytes: () => held };
}
