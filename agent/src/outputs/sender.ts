/**
 * @module Delivers a disk queue strictly in order: the head item is retried (exponential
 * backoff with jitter) until the receiver takes it, so nothing overtakes it. One sender per
 * queue: heartbeats and alerts to the server, OTLP pushes to their endpoint.
 * Posts with node:http(s) rather than fetch: fetch loads undici, about 20 MB of RSS in an agent
 * whose budget is 70 MB, for one small POST a minute.
 */
import http from 'node:http';
import type { Clock, Random } from '../clock.js';
import type { DiskQueue, QueueItem } from './queue.js';

export interface SenderOptions {
  queue: DiskQueue;
  /** Each item is POSTed to its `path` resolved against this URL… */
  baseUrl: string;
  /** …unless this is set: every item goes here (OTLP pushes, to the endpoint configured now). */
  url?: string;
  /** Sent with every item besides content-type, e.g. the bearer token. */
  headers: Record<string, string>;
  /** `Idempotency-Key` is `<prefix>-<sequence number>`: stable across re-sends, distinct per queue. */
  idempotencyPrefix: string;
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  clock: Clock;
  random: Random;
  onError?: (err: unknown) => void;
}

export interface Sender {
  start(): void;
  /** Wake the loop: something was queued. */
  kick(): void;
  stop(): Promise<void>;
  /** Epoch ms of the last 2xx, or undefined. */
  lastSuccessMs(): number | undefined;
  failures(): number;
}

export type Outcome = 'delivered' | 'retry' | 'rejected';

/** Which answers mean "try again later": no answer, 408, 429 and 5xx. */
export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/** Exponential from min to max, then scaled into [50 %, 100 %) so restarted agents spread out. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp * (0.5 + random() / 2));
}

export function createSender(options: SenderOptions): Sender {
  const { queue, clock } = options;
  let running = false;
  let wake: (() => void) | undefined;
  let idle = false;
  let loopDone: Promise<void> = Promise.resolve();
  let lastSuccess: number | undefined;
  let failures = 0;
  let inflight: http.ClientRequest | undefined;

  const sleep = (ms: number | null) =>
    new Promise<void>((resolve) => {
      const timer = ms === null ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        idle = false;
        resolve();
      }
      wake = done;
      idle = ms === null;
    });

  /** Resolves with the HTTP status; rejects on network errors and on the timeout. */
  async function postJson(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    // node:https (and tls) only for an https server.
    const transport = url.protocol === 'https:' ? (await import('node:https')).default : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      inflight = req;
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end(body);
    });
  }

  async function post(item: QueueItem): Promise<Outcome> {
    try {
      const status = await postJson(
        new URL(options.url ?? item.path, options.baseUrl),
        {
          'user-agent': 'sightline-agent',
          ...options.headers,
          'content-type': 'application/json',
          'idempotency-key': `${options.idempotencyPrefix}-${item.seq}`,
        },
        JSON.stringify(item.body),
      );
      return classifyStatus(status);
    } catch (err) {
      options.onError?.(err);
      return 'retry';
    } finally {
      inflight = undefined;
    }
  }

  async function loop(): Promise<void> {
    let attempt = 0;
    while (running) {
      let item: QueueItem | undefined;
      try {
        item = await queue.peek();
      } catch (err) {
        options.onError?.(err);
      }
      if (!running) return;
      if (!item) {
        await sleep(null);
        continue;
      }
      const outcome = await post(item);
      if (!running && outcome !== 'delivered') return;
      if (outcome === 'retry') {
        failures += 1;
        await sleep(backoffDelay(attempt++, options.retryMinMs, options.retryMaxMs, options.random));
        continue;
      }
      attempt = 0;
      if (outcome === 'delivered') lastSuccess = clock.now();
      try {
        await queue.remove(item.seq, outcome === 'rejected' ? 'rejected' : undefined);
      } catch (err) {
        options.onError?.(err);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loopDone = loop().catch((err: unknown) => options.onError?.(err));
    },
    // A kick ends an idle wait only; a backoff wait runs its course so a down server is not hammered.
    kick: () => {
      if (idle) wake?.();
    },
    async stop() {
      running = false;
      inflight?.destroy(new Error('agent stopping'));
      wake?.();
      await loopDone;
    },
    lastSuccessMs: () => lastSuccess,
    failures: () => failures,
  };
}
