/** @module The service catalogue over HTTP (read: `read`; change: `write`) and the hosts seen. */
import { Hono } from 'hono';
import { findDependencyCycles, SERVICE_NAME, SERVICE_NAME_RULE, ServiceEntry } from '../../domain/service.js';
import { formatSlaPolicy } from '../../domain/sla.js';
import type { StoredService } from '../../db/services-repo.js';
import type { Catalogue } from '../../services/catalogue.js';
import { listHosts, type CatalogueDeps } from '../../services/configuration-items.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import { formatDuration } from '../../domain/duration.js';
import { DORA_PERIOD_MS, doraByService } from '../../services/change-analysis.js';
import type { Clock } from '../../services/clock.js';

const present = (s: StoredService) => ({
  name: s.name,
  tier: s.tier,
  owner: s.owner,
  dependsOn: s.dependsOn,
  match: s.match,
  sla: s.sla ? formatSlaPolicy(s.sla) : null,
  maxIncidentSpan: s.maxIncidentSpan != null ? formatDuration(s.maxIncidentSpan) : null,
  origin: s.origin,
  updatedAt: iso(s.updatedAt),
});

const PutBody = ServiceEntry.omit({ name: true });

export function serviceRoutes(deps: CatalogueDeps & { catalogue: Catalogue; authenticator: Authenticator; clock: Clock; /** How soon after a change an incident counts as its failure (`changeAnalysis.lookback`). */ changeLookbackMs: number }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/v1/services', requireScope(deps.authenticator, 'read'), async (c) => {
    const graph = deps.catalogue.graph();
    const services = await deps.catalogue.list();
    const items = services.map((s) => ({ ...present(s), dependants: [...graph.within(s.name, 1).keys()].filter((n) => graph.get(n)?.dependsOn.includes(s.name)) }));
    return c.json({ items, cycles: findDependencyCycles(services) });
  });

  /** A service of the catalogue with its DORA figures over the last 30 days. */
  app.get('/api/v1/services/:name', requireScope(deps.authenticator, 'read'), async (c) => {
    const name = c.req.param('name');
    if (!SERVICE_NAME.test(name)) return c.json(errorBody(c, 'VALIDATION', `invalid service name: ${SERVICE_NAME_RULE}`, { field: 'name' }), 400);
    const graph = deps.catalogue.graph();
    const service = (await deps.catalogue.list()).find((s) => s.name === name);
    if (!service) return c.json(errorBody(c, 'NOT_FOUND', `service ${name} not found`), 404);
    const now = deps.clock.now();
    const dora = (await doraByService({ handle: deps.handle, lookbackMs: deps.changeLookbackMs }, now, name))[0];
    return c.json({
      ...present(service),
      dependants: [...graph.within(name, 1).keys()].filter((n) => graph.get(n)?.dependsOn.includes(name)),
      dora: {
        since: iso(now - DORA_PERIOD_MS),
        changes: dora?.changes ?? 0,
        failedChanges: dora?.failedChanges ?? 0,
        changeFailureRate: dora?.changeFailureRate ?? null,
        meanTimeToRestoreSeconds: dora?.meanTimeToRestoreMs == null ? null : Math.round(dora.meanTimeToRestoreMs / 1000),
      },
    });
  });

  app.put('/api/v1/services/:name', requireScope(deps.authenticator, 'write'), async (c) => {
    const name = c.req.param('name');
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    if (!SERVICE_NAME.test(name)) return c.json(errorBody(c, 'VALIDATION', `invalid service name: ${SERVICE_NAME_RULE}`, { field: 'name' }), 400);
    const parsed = PutBody.safeParse(body.value.json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      return c.json(errorBody(c, 'VALIDATION', `invalid service: ${issues[0]?.path}: ${issues[0]?.message}`, { issues }), 400);
    }
    if (parsed.data.dependsOn.includes(name)) return c.json(errorBody(c, 'VALIDATION', 'a service cannot depend on itself', { field: 'dependsOn' }), 400);
    const saved = await deps.catalogue.put({ name, ...parsed.data });
    return c.json(present(saved));
  });

  app.get('/api/v1/hosts', requireScope(deps.authenticator, 'read'), async (c) => {
    const hosts = await listHosts(deps);
    return c.json({ items: hosts.map((h) => ({ name: h.name, seenBy: h.seenBy, firstSeenAt: iso(h.firstSeenAt), lastSeenAt: iso(h.lastSeenAt), service: deps.catalogue.graph().serviceFor({}, h.name, null) })) });
  });

  return app;
}
