/** @module Service level status over HTTP (read: `read`): each service's current SLA period. */
import { Hono } from 'hono';
import { SERVICE_NAME } from '../../domain/service.js';
import { formatObjectivePpm, PPM } from '../../domain/sla.js';
import { evaluateServiceSla, evaluateServiceSlas, type ServiceSla, type SlaDeps } from '../../services/sla.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

const seconds = (ms: number) => ms / 1000;

export function presentServiceSla(s: ServiceSla) {
  const a = s.current.availability;
  return {
    service: s.service,
    objective: formatObjectivePpm(a.objectivePpm),
    objectiveRatio: a.objectivePpm / PPM,
    period: { start: iso(a.start), end: iso(a.end) },
    evaluatedAt: iso(s.evaluatedAt),
    sli: a.sli,
    measuredSeconds: seconds(a.measuredMs),
    downtimeSeconds: seconds(a.downtimeMs),
    excludedSeconds: seconds(a.excludedMs),
    budget: {
      allowedSeconds: seconds(a.allowedDowntimeMs),
      consumedSeconds: seconds(a.downtimeMs),
      remainingSeconds: seconds(a.budgetRemainingMs),
      consumedRatio: 1 - a.budgetRemainingRatio,
      remainingRatio: a.budgetRemainingRatio,
    },
    burnRates: { period: a.periodBurnRate, ...s.current.burn.burnRates },
    burnRateAlerts: s.current.burn.alerts.map((r) => ({
      long: r.rule.long,
      short: r.rule.short,
      severity: r.rule.severity,
      threshold: r.threshold,
      longBurnRate: r.longBurnRate,
      shortBurnRate: r.shortBurnRate,
      firing: r.firing,
    })),
    breached: a.breached,
    outages: a.outages.map((o) => ({ start: iso(o.start), end: iso(o.end) })),
  };
}

export function slaRoutes(deps: SlaDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/v1/sla', requireScope(deps.authenticator, 'read'), async (c) => {
    return c.json({ items: (await evaluateServiceSlas(deps)).map(presentServiceSla) });
  });

  app.get('/api/v1/sla/:service', requireScope(deps.authenticator, 'read'), async (c) => {
    const name = c.req.param('service');
    if (!SERVICE_NAME.test(name)) return c.json(errorBody(c, 'VALIDATION', 'invalid service name: letters, digits and _ . : - (at most 128)', { field: 'service' }), 400);
    const result = await evaluateServiceSla(deps, name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentServiceSla(result.value));
  });

  return app;
}
