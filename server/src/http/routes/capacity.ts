/**
 * @module Capacity over HTTP: `POST /v1/metrics` (OTLP/HTTP, JSON encoding, scope `ingest`)
 * and `GET /api/v1/capacity[/:host]` (scope `read`).
 *
 * OTLP response semantics (opentelemetry-proto, otlp.md): 200 with an empty object, or
 * with `partialSuccess` naming how many data points were rejected; 400 when the request
 * cannot be parsed (the sender must not retry it); 413 past the size limit, which applies
 * to the decompressed body so a small gzip bomb cannot get through. Overload answers with the
 * codes OTLP exporters retry after waiting `Retry-After`: 429 when the token is over its rate
 * or correlation is behind (the admission control every ingest endpoint shares: alerts come
 * before metrics), 503 when too many pushes are writing at once or the database failed.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { CapacityForecast } from '../../capacity/forecast.js';
import type { RollupBucket } from '../../capacity/rollup.js';
import { describeFullIn, fullIn } from '../../domain/capacity.js';
import { DEFAULT_FORECAST_HORIZON_MS } from '../../domain/capacity-config.js';
import { OtlpMetricsRequest } from '../../ingest/otlp-metrics.js';
import { evaluateCapacity, evaluateHostCapacity, ingestOtlpMetrics, type CapacityDeps, type HostCapacity, type ResourceCapacity } from '../../services/capacity.js';
import type { Logger } from 'pino';
import type { AdmissionControl } from '../../services/admission.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { checkJsonShape, hasNulString, JSON_LIMITS, NUL_MESSAGE } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

export const OTLP_METRICS_PATH = '/v1/metrics';
/** 20 MiB, after decompression. */
export const OTLP_MAX_BYTES = 20 * 1024 * 1024;

/** A data point is about ten values; 2 million is far beyond what 20 MiB of real OTLP holds. */
const OTLP_MAX_VALUES = 2_000_000;

const gunzipAsync = promisify(gunzip);

function countBrackets(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x7b || bytes[i] === 0x5b) n++;
  return n;
}
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;
const PROTOBUF_TYPE = /^application\/(?:x-)?protobuf\s*(?:;|$)/i;
const HOST = /^[\w.:-]{1,253}$/;

const tooLarge = (c: Context<AppEnv>) => c.json(errorBody(c, 'PAYLOAD_TOO_LARGE', `OTLP request exceeds ${OTLP_MAX_BYTES} bytes (limit applies after decompression)`), 413);

/**
 * `daysUntilFull` only within the horizon (null past it, as when not filling): a client that shows
 * the number never reads "full in 4719 days"; `fullIn` says which ("not within a year"). The
 * trends keep the fit's own days, beside its slope and level.
 */
function presentFullIn(daysUntilFull: number | null, horizonMs: number) {
  const f = fullIn(daysUntilFull, horizonMs);
  return { daysUntilFull: f.kind === 'days' ? f.days : null, fullIn: describeFullIn(f) };
}

/**
 * The prediction interval, within the horizon: `highDays` null when the slow end is past it
 * (or not filling at all); `text` reads "full between 5.2 and 6.8 days".
 */
function presentInterval(f: CapacityForecast | null, horizonMs: number) {
  const b = f?.fullBetween;
  if (!b || fullIn(f.daysUntilFull, horizonMs).kind !== 'days') return null;
  const high = b.high !== null && fullIn(b.high, horizonMs).kind === 'days' ? b.high : null;
  const days = (d: number) => (d < 10 ? d.toFixed(1) : String(Math.round(d)));
  return { lowDays: b.low, highDays: high, text: high === null ? `full in ${days(b.low)} days or later` : `full between ${days(b.low)} and ${days(high)} days` };
}

function presentBacktest(f: CapacityForecast | null) {
  const b = f?.backtest;
  if (!b) return null;
  return { madeDaysAgo: b.madeDaysAgo, daysUntilFullThen: b.daysUntilFullThen, predictedPeak: b.predictedPeak, observedPeak: b.observedPeak, errorDays: b.errorDays, errorPercent: b.errorRatio === null ? null : b.errorRatio * 100 };
}

function presentResource(r: ResourceCapacity, horizonMs: number, withSeries: boolean) {
  const f = r.forecast;
  return {
    resource: r.resource,
    ...(r.resource === 'filesystem' ? { mountpoint: r.mountpoint } : {}),
    unit: r.resource === 'network' ? 'bytes/s' : 'ratio',
    latest: f?.latest ?? (r.series.length ? (r.series.at(-1) as RollupBucket).sum / (r.series.at(-1) as RollupBucket).count : null),
    p95: f?.p95 ?? null,
    headroom: f?.headroom ?? null,
    ...(r.resource === 'network' ? { daysUntilFull: null } : presentFullIn(f?.daysUntilFull ?? null, horizonMs)),
    ...(r.resource === 'network' ? {} : { fullBetween: presentInterval(f, horizonMs), seasonality: f?.seasonality ?? 'none', levelShiftAt: f?.levelShiftAt == null ? null : iso(f.levelShiftAt), backtest: presentBacktest(f) }),
    trends: (f?.trends ?? []).map((t) => ({
      windowDays: t.windowDays,
      slopePerDay: t.slopePerDay,
      slopeBetween: t.slopeLowPerDay === null ? null : [t.slopeLowPerDay, t.slopeHighPerDay],
      level: t.level,
      peak: t.peak,
      daysUntilFull: t.daysUntilFull,
      fullBetween: t.fullLow === null ? null : [t.fullLow, t.fullHigh],
      hourlyPoints: t.points,
    })),
    ...(withSeries ? { series: { resolution: '1h', points: r.series.map((b) => ({ start: iso(b.bucketStart), avg: b.sum / b.count, max: b.max, samples: b.count })) } } : {}),
  };
}

function presentHost(h: HostCapacity, horizonMs: number, withSeries: boolean) {
  return { host: h.host, ...presentFullIn(h.daysUntilFull, horizonMs), p95: h.p95, resources: h.resources.map((r) => presentResource(r, horizonMs, withSeries)) };
}

export interface CapacityRouteDeps extends CapacityDeps {
  authenticator: Authenticator;
  admission: AdmissionControl;
  /** Pushes allowed to read and write at once; more get 503. */
  maxConcurrentIngests: number;
  /** Forecasts further out read "not within …" (`capacity.forecastHorizon`). */
  forecastHorizonMs?: number;
  log: Logger;
}

/** Seconds an exporter is told to wait when every write slot is taken or the database failed. */
const BUSY_RETRY_AFTER_SECONDS = 2;

export function capacityRoutes(deps: CapacityRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let inFlight = 0;
  const horizonMs = deps.forecastHorizonMs ?? DEFAULT_FORECAST_HORIZON_MS;
  const horizonDays = horizonMs / 86_400_000;

  const unavailable = (c: Context<AppEnv>, message: string) => {
    c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
    return c.json(errorBody(c, 'UNAVAILABLE', message, { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS }), 503);
  };

  const admit: MiddlewareHandler<AppEnv> = async (c, next) => {
    const admission = deps.admission.admit(c.get('principal').tokenId);
    if (!admission.ok) {
      c.header('Retry-After', String(admission.retryAfterSeconds));
      return c.json(errorBody(c, 'RATE_LIMITED', admission.message, { reason: admission.reason, retryAfterSeconds: admission.retryAfterSeconds }), 429);
    }
    if (inFlight >= deps.maxConcurrentIngests) return unavailable(c, `${inFlight} metric pushes are being stored; retry later`);
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };

  app.post(OTLP_METRICS_PATH, requireScope(deps.authenticator, 'ingest'), admit, bodyLimit({ maxSize: OTLP_MAX_BYTES, onError: tooLarge }), async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (PROTOBUF_TYPE.test(type)) {
      // No maintained npm package decodes OTLP protobuf requests: @opentelemetry/otlp-transformer
      // (0.2xx/0.3xx) only encodes requests and decodes responses, and no current package ships
      // the opentelemetry-proto definitions for protobufjs. JSON is the encoding every OTLP
      // exporter can be switched to.
      return c.json(
        errorBody(c, 'UNSUPPORTED_MEDIA_TYPE', 'OTLP/HTTP protobuf is not supported: configure the exporter for http/json (Content-Type: application/json), e.g. OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json or the Collector otlphttp exporter with encoding: json'),
        415,
      );
    }
    if (!JSON_TYPE.test(type)) {
      return c.json(errorBody(c, 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: application/json (OTLP/HTTP JSON), got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}`), 415);
    }
    const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      return c.json(errorBody(c, 'UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 40))}: send gzip or none`), 415);
    }
    let raw = Buffer.from(await c.req.arrayBuffer());
    if (encoding === 'gzip') {
      try {
        raw = await gunzipAsync(raw, { maxOutputLength: OTLP_MAX_BYTES });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(c);
        return c.json(errorBody(c, 'VALIDATION', 'request body is not valid gzip'), 400);
      }
    }
    // Counting brackets first keeps a compact body of millions of tiny values (a gzip bomb of
    // "{}," for one) from being parsed into a huge object graph; brackets inside strings only
    // make the count err on the safe side.
    if (raw.length > 1024 * 1024 && countBrackets(raw) > OTLP_MAX_VALUES) {
      return c.json(errorBody(c, 'VALIDATION', `not an OTLP metrics request: more than ${OTLP_MAX_VALUES} objects and arrays`), 400);
    }
    let json: unknown;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      json = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : 'not UTF-8 or nested too deep';
      return c.json(errorBody(c, 'VALIDATION', `malformed JSON: ${reason.slice(0, 200)}`), 400);
    }
    const shape = checkJsonShape(json, { maxDepth: JSON_LIMITS.maxDepth, maxValues: OTLP_MAX_VALUES });
    if (shape) return c.json(errorBody(c, 'VALIDATION', shape), 400);
    if (hasNulString(text, json)) return c.json(errorBody(c, 'VALIDATION', NUL_MESSAGE), 400);
    const parsed = OtlpMetricsRequest.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return c.json(errorBody(c, 'VALIDATION', `not an OTLP metrics request: ${first?.path.join('.') || 'body'}: ${first?.message}`, { issues: parsed.error.issues.slice(0, 20) }), 400);
    }
    let outcome;
    try {
      outcome = await ingestOtlpMetrics(deps, parsed.data);
    } catch (error) {
      // The request was valid; the store was not available. Exporters retry a 503, not a 500.
      deps.log.error({ err: error, requestId: c.get('requestId') }, 'storing OTLP metrics failed');
      return unavailable(c, 'metrics could not be stored; retry later');
    }
    if (outcome.rejectedDataPoints > 0) {
      return c.json({ partialSuccess: { rejectedDataPoints: outcome.rejectedDataPoints, errorMessage: outcome.errorMessage ?? 'data points rejected' } }, 200);
    }
    return c.json({}, 200);
  });

  app.get('/api/v1/capacity', requireScope(deps.authenticator, 'read'), async (c) => {
    return c.json({ evaluatedAt: iso(deps.clock.now()), forecastHorizonDays: horizonDays, items: (await evaluateCapacity(deps)).map((h) => presentHost(h, horizonMs, false)) });
  });

  app.get('/api/v1/capacity/:host', requireScope(deps.authenticator, 'read'), async (c) => {
    const host = c.req.param('host');
    if (!HOST.test(host)) return c.json(errorBody(c, 'VALIDATION', 'invalid host name', { field: 'host' }), 400);
    const result = await evaluateHostCapacity(deps, host);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ evaluatedAt: iso(deps.clock.now()), forecastHorizonDays: horizonDays, ...presentHost(result.value, horizonMs, true) });
  });

  return app;
}
