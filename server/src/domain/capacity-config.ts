/**
 * @module Capacity settings (the `capacity:` block of the server configuration): how long
 * rollups are kept, when a forecast becomes an alert, and how many OTLP pushes may write
 * at once.
 */
import { z } from 'zod';
import { Duration } from './duration.js';

const DAY_MS = 86_400_000;
/** Hours refolded from five-minute buckets on every pass (services/capacity.ts). */
export const CAPACITY_FOLD_LOOKBACK_MS = 2 * DAY_MS;


export const CapacityResourceName = z.enum(['filesystem', 'memory']);

export const CapacityAlertPolicy = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Forecast full within this → a warning alert. */
    warning: Duration.default(7 * DAY_MS),
    /** Forecast full within this → a critical alert (instead of the warning). */
    critical: Duration.default(DAY_MS),
    /** Which forecasts may raise alerts. */
    resources: z.array(CapacityResourceName).default(['filesystem', 'memory']),
  })
  .refine((p) => p.critical <= p.warning, { message: 'must not be longer than warning', path: ['critical'] });
export type CapacityAlertPolicy = z.output<typeof CapacityAlertPolicy>;

export const CapacityRetention = z
  .strictObject({
    fiveMinute: Duration.default(30 * DAY_MS),
    hourly: Duration.default(400 * DAY_MS),
  })
  // Hourly buckets are recomputed from the five-minute ones of the last two days: those must
  // still be there, or a refold would overwrite an hour with part of its data.
  .refine((r) => r.fiveMinute > CAPACITY_FOLD_LOOKBACK_MS + 3_600_000, { message: 'must be longer than 2d1h (hours are refolded from the last two days)', path: ['fiveMinute'] })
  .refine((r) => r.hourly >= r.fiveMinute, { message: 'must not be shorter than fiveMinute', path: ['hourly'] });
export type CapacityRetention = z.output<typeof CapacityRetention>;

export const DEFAULT_CAPACITY_ALERTS: CapacityAlertPolicy = { enabled: true, warning: 7 * DAY_MS, critical: DAY_MS, resources: ['filesystem', 'memory'] };
export const DEFAULT_CAPACITY_RETENTION: CapacityRetention = { fiveMinute: 30 * DAY_MS, hourly: 400 * DAY_MS };

/**
 * Forecasts further out than this read "not within a year" rather than "full in 4719 days": a
 * trend of the last 7 or 30 days extrapolated for years says nothing worth a number.
 */
export const DEFAULT_FORECAST_HORIZON_MS = 365 * DAY_MS;

export const CapacityConfig = z
  .strictObject({
    retention: CapacityRetention.default(DEFAULT_CAPACITY_RETENTION),
    alerts: CapacityAlertPolicy.default(DEFAULT_CAPACITY_ALERTS),
    /** OTLP pushes writing at once; beyond it `POST /v1/metrics` answers 503 with Retry-After. */
    maxConcurrentIngests: z.coerce.number().int().min(1).max(1000).default(4),
    forecastHorizon: Duration.default(DEFAULT_FORECAST_HORIZON_MS).refine((ms) => ms >= DAY_MS, { message: 'must be at least 1d' }),
  })
  .default({ retention: DEFAULT_CAPACITY_RETENTION, alerts: DEFAULT_CAPACITY_ALERTS, maxConcurrentIngests: 4, forecastHorizon: DEFAULT_FORECAST_HORIZON_MS });
export type CapacityConfig = z.output<typeof CapacityConfig>;
