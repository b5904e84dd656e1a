/**
 * @module SLA policies in and out of the catalogue as OpenSLO v1 YAML (see sla/openslo.ts for
 * the mapping). An import is all or nothing: every document is checked first, then every
 * policy is written in one transaction.
 */
import { stringify } from 'yaml';
import { fail, ok, type Result } from '../domain/result.js';
import type { DatabaseHandle } from '../db/connection.js';
import { listServices, upsertService } from '../db/services-repo.js';
import { exportOpenSlo, importOpenSlo } from '../sla/openslo.js';
import { prometheusSloRules } from '../sla/prometheus-rules.js';
import type { Clock } from './clock.js';

/** The OpenSLO documents of every service with a policy, or of `service` alone. */
export async function exportOpenSloPolicies(deps: { handle: DatabaseHandle }, service?: string): Promise<Result<string>> {
  const services = await listServices(deps.handle.db);
  if (service === undefined) return ok(exportOpenSlo(services));
  const found = services.find((s) => s.name === service);
  if (!found) return fail('NOT_FOUND', `no service named ${service}`, { field: 'service' });
  if (!found.sla) return fail('NOT_FOUND', `service ${service} has no SLA policy`, { field: 'service' });
  return ok(exportOpenSlo([found]));
}

export interface OpenSloImportSummary {
  created: string[];
  updated: string[];
  warnings: string[];
  dryRun: boolean;
}

/**
 * Applies the policies of an OpenSLO file. A service with its `Service` document is written
 * whole (tier, owner, dependencies, matching); one without keeps everything but its policy
 * and must exist. With `dryRun` nothing is written.
 */
export async function importOpenSloPolicies(deps: { handle: DatabaseHandle; clock: Clock }, text: string, options: { dryRun?: boolean } = {}): Promise<Result<OpenSloImportSummary>> {
  const parsed = importOpenSlo(text);
  if (!parsed.ok) return parsed;
  const dryRun = options.dryRun ?? false;
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<OpenSloImportSummary>> => {
    const existing = new Map((await listServices(trx)).map((s) => [s.name, s]));
    const summary: OpenSloImportSummary = { created: [], updated: [], warnings: parsed.value.warnings, dryRun };
    const missing = parsed.value.policies.filter((p) => !p.definition && !existing.has(p.service));
    if (missing.length) {
      const problems = missing.map((p) => `${p.source}: spec.service: no service named ${p.service} in the catalogue; add its Service document or create the service first`);
      return fail('VALIDATION', problems[0] as string, { problems });
    }
    const now = deps.clock.now();
    for (const p of parsed.value.policies) {
      const before = existing.get(p.service);
      (before ? summary.updated : summary.created).push(p.service);
      if (dryRun) continue;
      const definition = p.definition ?? { name: p.service, tier: before!.tier, owner: before!.owner, dependsOn: before!.dependsOn, match: before!.match, sla: p.sla };
      await upsertService(trx, definition, 'api', now);
    }
    return ok(summary);
  });
}

/** Prometheus recording and burn-rate alert rules for the metric SLIs of every policy (or of `service`), as YAML. */
export async function prometheusRulesForPolicies(deps: { handle: DatabaseHandle }, service?: string): Promise<Result<string>> {
  const services = (await listServices(deps.handle.db)).filter((s) => service === undefined || s.name === service);
  if (service !== undefined && !services[0]?.sla?.metrics) return fail('NOT_FOUND', services.length ? `service ${service} has no metric SLIs` : `no service named ${service}`, { field: 'service' });
  return ok(stringify(prometheusSloRules(services), { lineWidth: 0, aliasDuplicateObjects: false }));
}
