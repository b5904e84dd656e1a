/**
 * @module An incident's postmortem, gathered from what the other capabilities already say
 * about it: its record and timeline, the SLA downtime and targets (as the incident API and
 * the SLA reports compute them), the root-cause candidate, changes before it, similar past
 * incidents and problem candidates, and the action items in its notes. Read-only.
 */
import { alertsOfIncidentPage } from '../db/alerts-repo.js';
import { findChange } from '../db/changes-repo.js';
import { findIncident, servicesOfIncident, timelineOfKinds } from '../db/incidents-repo.js';
import type { IncidentRecord } from '../domain/incident.js';
import { fail, ok, type Result } from '../domain/result.js';
import { actionItemsOf, type Postmortem, type RelatedChange, type TargetOutcome } from '../postmortems/document.js';
import type { TargetEvaluation } from '../sla/targets.js';
import { incidentJoinEntries, incidentTimelinePage, type IncidentDeps } from './incidents.js';
import { knownErrorOfIncident, similarIncidents } from './problems.js';
import { incidentSlaImpact, type SlaDeps } from './sla.js';
import { getIncidentSla, type SlaTargetDeps } from './sla-targets.js';
import { changesOfIncident, type ChangeAnalysisDeps } from './change-analysis.js';

export type PostmortemDeps = IncidentDeps & Pick<SlaDeps, 'catalogue'> & Pick<SlaTargetDeps, 'globalTargets'> & { changeAnalysis: Omit<ChangeAnalysisDeps, 'handle'> };

/** Timeline entries in the document; the rest are a link away. */
export const POSTMORTEM_TIMELINE_LIMIT = 500;
/** Alerts looked at for the root-cause service's first one (in start order: it is near the top). */
const ROOT_ALERT_SCAN = 500;
const SIMILAR_LIMIT = 10;
/**
 * The changes related to an incident, as the incident API ranks them (`changeAnalysis`: on its
 * services and their neighbours, from the look-back before its onset until its fault last
 * reached a service), the likely cause first, each with its full record.
 */
export async function relatedChanges(deps: PostmortemDeps, incident: IncidentRecord): Promise<{ from: number; to: number; items: RelatedChange[] }> {
  const ranked = await changesOfIncident({ handle: deps.handle, ...deps.changeAnalysis }, incident);
  const records = await Promise.all(ranked.map((r) => findChange(deps.handle.db, r.id)));
  const items = ranked.flatMap((r, i) => {
    const record = records[i];
    return record ? [{ ...record, score: r.score, reasons: r.reasons, likelyCause: r.likelyCause === true }] : [];
  });
  return { from: incident.openedAt - deps.changeAnalysis.options.lookbackMs, to: incident.openedAt, items };
}

const outcome = (e: TargetEvaluation | null, targetMs: number | null): TargetOutcome | null =>
  e && targetMs !== null ? { targetMs, elapsedMs: e.elapsedMs, state: e.state, met: e.met } : null;

export async function buildPostmortem(deps: PostmortemDeps, id: number): Promise<Result<Postmortem>> {
  const db = deps.handle.db;
  const incident = await findIncident(db, id);
  if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
  const services = await servicesOfIncident(db, id);
  const [timeline, impact, targets, alerts, similar, known, changes] = await Promise.all([
    incidentTimelinePage(deps, id, { limit: POSTMORTEM_TIMELINE_LIMIT }),
    incidentSlaImpact(deps, incident, services),
    getIncidentSla(deps, id),
    alertsOfIncidentPage(db, id, { after: null, limit: ROOT_ALERT_SCAN }),
    similarIncidents(deps, id, SIMILAR_LIMIT),
    knownErrorOfIncident(deps, id),
    relatedChanges(deps, incident),
  ]);
  if (!timeline.ok) return timeline;
  const rootService = incident.rootCauseService ?? incident.service;
  const rootAlert = alerts.find((a) => a.service === rootService) ?? alerts[0] ?? null;
  const joined = rootAlert ? await incidentJoinEntries(deps, id, [rootAlert]) : [];
  const notes = timeline.value.total > timeline.value.items.length ? await timelineOfKinds(db, id, ['note']) : timeline.value.items;
  const sla = targets.ok ? targets.value : null;
  return ok({
    generatedAt: deps.clock.now(),
    incident,
    services,
    impact: {
      services: impact,
      response: sla ? outcome(sla.response, sla.target.respondMs) : null,
      resolution: sla ? outcome(sla.resolution, sla.target.resolveMs) : null,
    },
    timeline: { entries: timeline.value.items, total: timeline.value.total },
    rootCause: {
      service: rootService,
      alert: rootAlert,
      reasons: [...joined.slice(0, 1), ...timeline.value.items.filter((e) => e.kind === 'root_cause')].sort((a, b) => a.at - b.at || a.id - b.id),
    },
    changes,
    similar: similar.ok
      ? { candidates: similar.value.candidates, incidents: similar.value.incidents.map((s) => ({ id: s.id, title: s.title, status: s.status, priority: s.priority, service: s.service, openedAt: s.openedAt, resolvedAt: s.resolvedAt })) }
      : { candidates: [], incidents: [] },
    knownError: known && { problemId: known.problem.id, title: known.problem.title, status: known.problem.status, workaround: known.problem.workaround, similarity: known.similarity },
    actionItems: actionItemsOf(notes),
  });
}
