/**
 * @module OTLP/HTTP JSON metrics requests (opentelemetry-proto `ExportMetricsServiceRequest`
 * in its JSON mapping): the envelope is validated strictly, each data point on its own, so
 * one bad point is reported through `partialSuccess` instead of failing the whole request.
 */
import { z } from 'zod';

const AnyValue = z
  .object({
    stringValue: z.string().optional(),
    // The JSON mapping writes int64 as a string; some senders write a number.
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
    boolValue: z.boolean().optional(),
  })
  .passthrough();

const KeyValue = z.object({ key: z.string(), value: AnyValue.optional() });
export const OtlpAttributes = z.array(KeyValue).optional();

const DataPoints = z.object({ dataPoints: z.array(z.unknown()).optional(), aggregationTemporality: z.union([z.number(), z.string()]).optional() }).passthrough();

export const OtlpMetric = z
  .object({
    name: z.string(),
    unit: z.string().optional(),
    gauge: DataPoints.optional(),
    sum: DataPoints.extend({ isMonotonic: z.boolean().optional() }).optional(),
  })
  .passthrough();

export const OtlpMetricsRequest = z.object({
  resourceMetrics: z
    .array(
      z
        .object({
          resource: z.object({ attributes: OtlpAttributes }).passthrough().optional(),
          scopeMetrics: z.array(z.object({ metrics: z.array(OtlpMetric).optional() }).passthrough()).optional(),
        })
        .passthrough(),
    )
    .optional(),
});
export type OtlpMetricsRequest = z.infer<typeof OtlpMetricsRequest>;

const UnixNano = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]);
const IntValue = z.union([z.string().regex(/^-?\d{1,20}$/), z.number().int()]);

export const OtlpNumberDataPoint = z
  .object({
    attributes: OtlpAttributes,
    timeUnixNano: UnixNano,
    startTimeUnixNano: UnixNano.optional(),
    asDouble: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).optional(),
    asInt: IntValue.optional(),
  })
  .passthrough()
  .refine((p) => p.asDouble !== undefined || p.asInt !== undefined, { message: 'data point has neither asDouble nor asInt' });

export type AttributeValue = string | number | boolean;

/** Flattens OTLP attributes to a plain map; arrays and maps (not used by capacity) are skipped. */
export function attributeMap(attributes: z.infer<typeof OtlpAttributes>): Map<string, AttributeValue> {
  const out = new Map<string, AttributeValue>();
  for (const kv of attributes ?? []) {
    const v = kv.value;
    if (!v) continue;
    if (v.stringValue !== undefined) out.set(kv.key, v.stringValue);
    else if (v.intValue !== undefined) out.set(kv.key, Number(v.intValue));
    else if (v.doubleValue !== undefined) out.set(kv.key, Number(v.doubleValue));
    else if (v.boolValue !== undefined) out.set(kv.key, v.boolValue);
  }
  return out;
}

/** Nanoseconds since the epoch (a decimal string) to milliseconds. */
export function unixNanoToMs(nanos: string | number): number {
  return typeof nanos === 'number' ? Math.floor(nanos / 1e6) : Number(BigInt(nanos) / 1_000_000n);
}
