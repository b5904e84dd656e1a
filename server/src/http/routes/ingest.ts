/**
 * @module Ingest endpoints, one per sender format. Each parses and validates at the
 * edge, stores the valid alerts durably, and answers in the sender's own terms.
 *
 * Partly bad batches (Alertmanager webhook, API v2, Grafana, native): the valid alerts
 * are stored and the response is 400 naming every rejected alert, as Alertmanager's own
 * API v2 does. Senders do not retry a 4xx, and a retry would be idempotent anyway.
 * Size limits (ingest/limits.ts): too many alerts in a request is 413 for all of it; a label
 * too long or too many labels rejects that alert; a too long annotation is cut and reported.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { AlertSource } from '../../domain/alert.js';
import { parseAlertmanagerV2 } from '../../ingest/alertmanager-v2.js';
import { parseWebhook } from '../../ingest/alertmanager-webhook.js';
import type { ParsedBatch } from '../../ingest/batch.js';
import type { AlertLimits } from '../../ingest/limits.js';
import { verifyGrafanaSignature } from '../../ingest/grafana-signature.js';
import { parseNative } from '../../ingest/native.js';
import { parsePagerDuty } from '../../ingest/pagerduty.js';
import type { ServerConfig } from '../../config.js';
import { storeAlertBatch, type IngestDeps } from '../../services/ingest-alerts.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { invalidEvent, routingKeyAuth } from '../routing-key.js';
import { inTurnFor } from '../turns.js';

export interface IngestRouteDeps extends IngestDeps {
  config: Readonly<ServerConfig>;
  authenticator: Authenticator;
}

/**
 * A batch too large as a whole is 413; one whose every or some alerts are invalid is 400 naming
 * each. Annotation values cut to `ingest.maxValueBytes` are named in `truncated` of any answer
 * (on a success too, where the sender's own body would otherwise say nothing).
 */
async function respondToBatch(c: Context<AppEnv>, deps: IngestRouteDeps, source: AlertSource, batch: ParsedBatch, success: (truncated: TruncatedReport) => Response) {
  if (batch.rejected) {
    deps.metrics.alertsIngested.inc({ source, outcome: 'rejected' });
    const first = batch.issues[0];
    const where = first?.path ? `${first.path}: ` : '';
    if (batch.tooLarge) return c.json(errorBody(c, 'PAYLOAD_TOO_LARGE', `${source} payload too large: ${where}${first?.message}; nothing was stored`, { issues: batch.issues }), 413);
    return c.json(errorBody(c, 'VALIDATION', `invalid ${source} payload: ${where}${first?.message ?? 'unusable body'}`, { issues: batch.issues }), 400);
  }
  const outcome = await storeAlertBatch(deps, source, batch);
  const truncated = batch.truncated.length > 0 ? { truncated: batch.truncated } : {};
  if (outcome.rejected > 0) {
    const first = batch.issues[0];
    return c.json(
      errorBody(c, 'VALIDATION', `${outcome.rejected} alert(s) rejected (first: ${first?.path || 'body'}: ${first?.message}); the other ${outcome.accepted} were stored`, {
        accepted: outcome.accepted,
        rejected: outcome.rejected,
        issues: batch.issues,
        ...truncated,
      }),
      400,
    );
  }
  return success(truncated);
}

/** `{truncated: [...]}` when values were cut, else `{}`: spread into a success body. */
type TruncatedReport = { truncated?: ParsedBatch['truncated'] };

/** 429 with Retry-After when the token is over its rate or correlation is too far behind. */
export function refuse(c: Context<AppEnv>, deps: Pick<IngestRouteDeps, 'admission'>): Response | null {
  const admission = deps.admission.admit(c.get('principal').tokenId);
  if (admission.ok) return null;
  c.header('Retry-After', String(admission.retryAfterSeconds));
  return c.json(errorBody(c, 'RATE_LIMITED', admission.message, { reason: admission.reason, retryAfterSeconds: admission.retryAfterSeconds }), 429);
}

export function ingestRoutes(deps: IngestRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const needIngest = requireScope(deps.authenticator, 'ingest');
  const limits: AlertLimits = deps.config.ingest;
  const admit: MiddlewareHandler<AppEnv> = async (c, next) => {
    const refused = refuse(c, deps);
    if (refused) return refused;
    await next();
  };

  app.post('/api/v1/alerts/alertmanager', needIngest, admit, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const batch = await inTurnFor(body.value.raw.byteLength, () => parseWebhook(body.value.json, 'alertmanager', deps.clock.now(), deps.config.ingest.timeSkew, limits));
    return respondToBatch(c, deps, 'alertmanager', batch, (truncated) => c.json({ status: 'success', ...truncated }, 200));
  });

  app.post('/api/v2/alerts', needIngest, admit, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const batch = await inTurnFor(body.value.raw.byteLength, () => parseAlertmanagerV2(body.value.json, deps.clock.now(), deps.config.ingest.resolveTimeout, deps.config.ingest.timeSkew, limits));
    // Alertmanager answers an empty 200; a body only when there is something to report.
    return respondToBatch(c, deps, 'prometheus', batch, (truncated) => (truncated.truncated ? c.json(truncated, 200) : c.body(null, 200)));
  });

  app.post('/api/v1/alerts/grafana', needIngest, admit, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const hmac = deps.config.ingest.grafana;
    if (hmac.hmacSecret) {
      const check = verifyGrafanaSignature(
        { secret: hmac.hmacSecret, timestampHeader: hmac.timestampHeader, maxSkewMs: hmac.maxSkew },
        body.value.raw,
        (name) => c.req.header(name),
        deps.clock.now(),
      );
      if (!check.ok) return c.json(errorBody(c, 'UNAUTHORIZED', `Grafana signature check failed: ${check.reason}`), 401);
    }
    const batch = await inTurnFor(body.value.raw.byteLength, () => parseWebhook(body.value.json, 'grafana', deps.clock.now(), deps.config.ingest.timeSkew, limits));
    return respondToBatch(c, deps, 'grafana', batch, (truncated) => c.json({ status: 'success', ...truncated }, 200));
  });

  app.post('/api/v1/alerts', needIngest, admit, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const batch = await inTurnFor(body.value.raw.byteLength, () => parseNative(body.value.json, deps.clock.now(), deps.config.ingest.timeSkew, limits));
    return respondToBatch(c, deps, 'api', batch, (truncated) => c.json({ status: 'success', accepted: batch.events.length, ...truncated }, 200));
  });

  // PagerDuty Events API v2: the routing key authenticates (see routing-key.ts).
  const authorizeRoutingKey = routingKeyAuth(deps);

  app.post('/v2/enqueue', async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) {
      return body.error.code === 'VALIDATION' ? invalidEvent(c, [body.error.message]) : errorResponse(c, body.error);
    }
    const json = body.value.json;
    const unauthorized = await authorizeRoutingKey(c, json);
    if (unauthorized) return unauthorized;
    const refused = refuse(c, deps);
    if (refused) return refused;
    const parsed = parsePagerDuty(json, deps.clock.now(), randomUUID, deps.config.ingest.timeSkew, limits);
    if (!parsed.ok) {
      deps.metrics.alertsIngested.inc({ source: 'pagerduty', outcome: 'rejected' });
      return invalidEvent(c, parsed.errors);
    }
    await storeAlertBatch(deps, 'pagerduty', { events: [parsed.event], issues: [], truncated: [], merged: 0, rejected: false });
    const truncated = parsed.truncated.length > 0 ? { truncated: parsed.truncated } : {};
    return c.json({ status: 'success', message: 'Event processed', dedup_key: parsed.dedupKey, ...truncated }, 202);
  });

  return app;
}
