/**
 * @module Problem management storage: frozen models, candidates and their members, problems,
 * their incidents and timeline, and known-error matches.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Severity } from '../domain/alert.js';
import type { Priority } from '../domain/incident.js';
import type {
  CandidateReview,
  CandidateImpact,
  CandidateState,
  KnownErrorMatchRecord,
  ProblemBadge,
  ProblemCandidate,
  ProblemIncident,
  ProblemAlert,
  ProblemModel,
  ProblemRecord,
  ProblemStatus,
  StoredCandidate,
} from '../domain/problem.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row insert: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

export async function loadLatestModel(db: Db): Promise<{ model: ProblemModel; fittedAt: number } | null> {
  const row = await db.selectFrom('problem_models').selectAll().orderBy('fitted_at', 'desc').orderBy('version').limit(1).executeTakeFirst();
  return row ? { model: JSON.parse(row.model) as ProblemModel, fittedAt: row.fitted_at } : null;
}

export async function saveModel(db: Db, model: ProblemModel, fittedAt: number): Promise<void> {
  await db
    .insertInto('problem_models')
    .values({ version: model.version, model: JSON.stringify(model), fitted_at: fittedAt })
    .onConflict((oc) => oc.column('version').doUpdateSet({ fitted_at: fittedAt }))
    .execute();
}

const SEVERITIES: ReadonlySet<string> = new Set(['critical', 'error', 'warning', 'info', 'unknown']);

/**
 * Incidents opened in [from, to) (cancelled ones left out), reduced to what clustering needs;
 * alert name and summary come from the incident's first alert.
 */
export async function loadProblemIncidents(db: Db, from: number, to: number, statuses?: readonly string[]): Promise<ProblemIncident[]> {
  const incidents = await db
    .selectFrom('incidents')
    .select(['id', 'title', 'priority', 'service', 'host', 'opened_at', 'resolved_at'])
    .where('opened_at', '>=', from)
    .where('opened_at', '<', to)
    .$if(statuses !== undefined, (q) => q.where('status', 'in', [...(statuses as string[])]))
    .where('status', '!=', 'cancelled')
    .orderBy('id')
    .execute();
  if (incidents.length === 0) return [];
  const firstAlert = new Map<number, { source: string; labels: string; annotations: string; severity: string }>();
  const alerts = await db
    .selectFrom('alerts')
    .innerJoin('incidents', 'incidents.id', 'alerts.incident_id')
    .select(['alerts.incident_id', 'alerts.source', 'alerts.labels', 'alerts.annotations', 'alerts.severity'])
    .where('incidents.opened_at', '>=', from)
    .where('incidents.opened_at', '<', to)
    .$if(statuses !== undefined, (q) => q.where('incidents.status', 'in', [...(statuses as string[])]))
    .orderBy('alerts.id')
    .execute();
  for (const a of alerts) if (a.incident_id !== null && !firstAlert.has(a.incident_id)) firstAlert.set(a.incident_id, a);
  // Sightline's warnings about how an incident is handled (response and resolution targets)
  // are not faults of their own: they would only recur as often as incidents do.
  const aboutHandling = (a: { source: string; labels: string } | undefined) => a?.source === 'sightline' && /^Sla(Target|ErrorBudgetBurn)/.test((JSON.parse(a.labels) as Record<string, string>).alertname ?? '');
  const kept = incidents.filter((i) => !aboutHandling(firstAlert.get(i.id)));
  const members = await memberAlertsOf(db, kept.map((i) => i.id), { from, to, statuses });
  return kept.map((i) => ({ ...toProblemIncident(i, firstAlert.get(i.id)), ...withMembers(members.get(i.id)) }));
}

/** Timeline entries that record an alert episode entering an incident (data: source, fingerprint). */
const MEMBER_KINDS = ['opened', 'alert_joined', 'reopened', 'reopened_flapping'] as const;

const withMembers = (alerts: ProblemAlert[] | undefined) => (alerts?.length ? { alerts } : {});

interface MemberEntry {
  incident_id: number;
  kind: string;
  data: string | null;
}

/**
 * The member alerts of each incident, in joining order, from the timeline: every episode that
 * opened, joined or reopened it (so the alerts whose row moved on to a later incident count
 * too), and those of incidents merged into it. Name, title and labels come from the alert's
 * row (its fingerprint fixes its labels); `occurrences` counts its episodes in the incident.
 */
async function memberAlertsOf(db: Db, ids: readonly number[], window?: { from: number; to: number; statuses?: readonly string[] }): Promise<Map<number, ProblemAlert[]>> {
  if (ids.length === 0) return new Map();
  const select = (q: ReturnType<typeof timelineOf>) => q.select(['t.incident_id', 't.kind', 't.data']).where('t.kind', 'in', [...MEMBER_KINDS, 'merged']).orderBy('t.id');
  const timelineOf = (d: Db) => d.selectFrom('incident_timeline as t');
  let entries: MemberEntry[] = [];
  if (window) {
    entries = await select(timelineOf(db))
      .innerJoin('incidents as i', 'i.id', 't.incident_id')
      .where('i.opened_at', '>=', window.from)
      .where('i.opened_at', '<', window.to)
      .$if(window.statuses !== undefined, (q) => q.where('i.status', 'in', [...(window.statuses as string[])]))
      .execute();
  } else {
    for (let i = 0; i < ids.length; i += CHUNK) entries.push(...(await select(timelineOf(db)).where('t.incident_id', 'in', ids.slice(i, i + CHUNK)).execute()));
  }
  const parse = (e: MemberEntry) => (e.data ? (JSON.parse(e.data) as { source?: string; fingerprint?: string; from?: number }) : {});
  // Incidents merged in: their own entries count for the incident they went into.
  const mergedFrom = new Map<number, number>();
  for (const e of entries) {
    const from = e.kind === 'merged' ? parse(e).from : undefined;
    if (typeof from === 'number') mergedFrom.set(from, e.incident_id);
  }
  const absorbed = [...mergedFrom.keys()];
  for (let i = 0; i < absorbed.length; i += CHUNK) {
    const more = await select(timelineOf(db)).where('t.incident_id', 'in', absorbed.slice(i, i + CHUNK)).execute();
    entries.push(...more.map((e) => ({ ...e, incident_id: mergedFrom.get(e.incident_id) as number })));
  }
  const wanted = new Set(ids);
  const refs = new Map<number, Map<string, { source: string; fingerprint: string; episodes: number }>>();
  for (const e of entries) {
    if (e.kind === 'merged' || !wanted.has(e.incident_id)) continue;
    const { source, fingerprint } = parse(e);
    if (typeof source !== 'string' || typeof fingerprint !== 'string') continue;
    const byKey = refs.get(e.incident_id) ?? new Map();
    const key = `${source}\u0000${fingerprint}`;
    const ref = byKey.get(key) ?? { source, fingerprint, episodes: 0 };
    ref.episodes++;
    byKey.set(key, ref);
    refs.set(e.incident_id, byKey);
  }
  const fingerprints = [...new Set([...refs.values()].flatMap((m) => [...m.values()].map((r) => r.fingerprint)))];
  const rows = new Map<string, { labels: string; title: string }>();
  for (let i = 0; i < fingerprints.length; i += CHUNK) {
    const found = await db.selectFrom('alerts').select(['source', 'fingerprint', 'labels', 'title']).where('fingerprint', 'in', fingerprints.slice(i, i + CHUNK)).execute();
    for (const r of found) rows.set(`${r.source}\u0000${r.fingerprint}`, r);
  }
  const out = new Map<number, ProblemAlert[]>();
  for (const [incidentId, byKey] of refs) {
    const alerts: ProblemAlert[] = [];
    for (const [key, ref] of byKey) {
      const row = rows.get(key);
      if (!row) continue;
      const labels = JSON.parse(row.labels) as Record<string, string>;
      alerts.push({ name: labels.alertname ?? ruleNameOfTitle(row.title) ?? '', title: row.title, occurrences: ref.episodes });
    }
    out.set(incidentId, alerts);
  }
  return out;
}

/**
 * The rule named at the head of a title (`<name>: <summary>`, see titleOf), in any style:
 * `DiskFull`, `5710`, `ET-SCAN-NMAP`, `hids.syscheck.changed`; null when there is none.
 */
export function ruleNameOfTitle(title: string): string | null {
  return /^([^\s:][^\s]*?): /.exec(title)?.[1] ?? null;
}

/** The services reached by each incident opened in [from, to). */
export async function servicesOfIncidentsOpened(db: Db, from: number, to: number): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select(['incident_services.incident_id', 'incident_services.service'])
    .where('incidents.opened_at', '>=', from)
    .where('incidents.opened_at', '<', to)
    .orderBy('incident_services.incident_id')
    .orderBy('incident_services.service')
    .execute();
  const byIncident = new Map<string, string[]>();
  for (const r of rows) {
    const id = String(r.incident_id);
    byIncident.set(id, [...(byIncident.get(id) ?? []), r.service]);
  }
  return byIncident;
}

/** One incident as clustering sees it, or null. */
export async function loadProblemIncident(db: Db, id: number): Promise<ProblemIncident | null> {
  const incident = await db.selectFrom('incidents').select(['id', 'title', 'priority', 'service', 'host', 'opened_at', 'resolved_at']).where('id', '=', id).executeTakeFirst();
  if (!incident) return null;
  const alert = await db.selectFrom('alerts').select(['labels', 'annotations', 'severity']).where('incident_id', '=', id).orderBy('id').limit(1).executeTakeFirst();
  const members = await memberAlertsOf(db, [id]);
  return { ...toProblemIncident(incident, alert), ...withMembers(members.get(id)) };
}

function toProblemIncident(
  i: { id: number; title: string; priority: string; service: string | null; host: string | null; opened_at: number; resolved_at: number | null },
  alert: { labels: string; annotations: string; severity: string } | undefined,
): ProblemIncident {
  const labels = alert ? (JSON.parse(alert.labels) as Record<string, string>) : {};
  const annotations = alert ? (JSON.parse(alert.annotations) as Record<string, string>) : {};
  // The title says which alert opened the incident (`<alertname>: <summary>`, see titleOf).
  // It wins over the incident's oldest alert row: the alerts table keeps only the newest
  // episode of each alert, so an older incident of a recurring alert has lost its row, and a
  // storm's oldest row may be an alert that re-fired into it later.
  // Rule names come in every style (`DiskFull`, `5710`, `ET-SCAN-NMAP`, `hids.syscheck.changed`).
  const name = ruleNameOfTitle(i.title);
  const rest = name === null ? null : i.title.slice(name.length + 2);
  const sameAlert = name === null || name === labels.alertname;
  return {
    id: String(i.id),
    title: i.title,
    alertname: name ?? labels.alertname ?? '',
    summary: (sameAlert ? (annotations.summary ?? annotations.description) : undefined) ?? rest ?? '',
    priority: i.priority as Priority,
    service: i.service,
    host: i.host,
    severity: (alert && SEVERITIES.has(alert.severity) ? alert.severity : 'unknown') as Severity,
    openedAt: i.opened_at,
    resolvedAt: i.resolved_at,
    downtimeMs: null,
  };
}

type CandidateRow = Selectable<Database['problem_candidates']>;

function toCandidate(r: CandidateRow, memberIds: string[]): StoredCandidate {
  return {
    id: r.id,
    name: r.name,
    alertname: r.alertname,
    exampleTitle: r.example_title,
    signatures: JSON.parse(r.signatures),
    memberIds,
    count: r.member_count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    recurrencePerWeek: r.recurrence_per_week,
    services: JSON.parse(r.services),
    hosts: JSON.parse(r.hosts),
    totalDowntimeMs: r.total_downtime_ms,
    impact: impactFromRow(r),
    mttrMs: r.mttr_ms,
    cohesion: r.cohesion,
    radius: r.radius,
    badge: r.badge as ProblemBadge,
    topTerms: JSON.parse(r.top_terms),
    features: JSON.parse(r.features),
    centroid: JSON.parse(r.centroid),
    modelVersion: r.model_version,
    active: r.active === 1,
    ...reviewOf(r),
    refreshedAt: r.refreshed_at,
  };
}

const NO_IMPACT: CandidateImpact = { score: 0, downtimeMs: 0, incidentsByPriority: {}, services: 0, recent: 0, earlier: 0, trend: 1 };

/** Rows written before impacts were stored read as score 0 until the next refresh. */
function impactFromRow(r: Pick<CandidateRow, 'impact' | 'impact_score'>): CandidateImpact {
  const stored = JSON.parse(r.impact) as Partial<CandidateImpact>;
  return { ...NO_IMPACT, ...stored, score: r.impact_score };
}

function reviewOf(r: Pick<CandidateRow, 'state' | 'state_changed_at' | 'state_changed_by' | 'state_note' | 'problem_id' | 'created_at'>): CandidateReview {
  return {
    state: r.state as CandidateState,
    stateChangedAt: r.state_changed_at,
    stateChangedBy: r.state_changed_by,
    stateNote: r.state_note,
    problemId: r.problem_id,
    createdAt: r.created_at,
  };
}

/** What a refresh needs to know of every stored candidate: members (for stable ids) and review. */
export interface CandidateMembership extends CandidateReview {
  id: string;
  memberIds: string[];
}

export async function loadCandidateMemberships(db: Db): Promise<CandidateMembership[]> {
  const rows = await db.selectFrom('problem_candidates').select(['id', 'state', 'state_changed_at', 'state_changed_by', 'state_note', 'problem_id', 'created_at']).orderBy('id').execute();
  const members = await db.selectFrom('problem_candidate_members').select(['candidate_id', 'incident_id']).orderBy('candidate_id').orderBy('incident_id').execute();
  const byCandidate = new Map<string, string[]>();
  for (const m of members) {
    const list = byCandidate.get(m.candidate_id);
    if (list) list.push(String(m.incident_id));
    else byCandidate.set(m.candidate_id, [String(m.incident_id)]);
  }
  return rows.map((r) => ({ id: r.id, memberIds: byCandidate.get(r.id) ?? [], ...reviewOf(r) }));
}

export interface CandidateWrite extends CandidateReview {
  candidate: ProblemCandidate;
}

/**
 * Replaces the refresh's output: writes every candidate and its members, and marks the
 * stored candidates it did not produce inactive (their members and review are kept).
 */
export async function writeRefresh(db: Db, writes: readonly CandidateWrite[], refreshedAt: number): Promise<void> {
  await db.updateTable('problem_candidates').set({ active: 0 }).where('active', '=', 1).execute();
  for (const w of writes) {
    const c = w.candidate;
    const row = {
      id: c.id,
      name: c.name,
      alertname: c.alertname,
      example_title: c.exampleTitle,
      signatures: JSON.stringify(c.signatures),
      member_count: c.count,
      first_seen: c.firstSeen,
      last_seen: c.lastSeen,
      recurrence_per_week: c.recurrencePerWeek,
      services: JSON.stringify(c.services),
      hosts: JSON.stringify(c.hosts),
      total_downtime_ms: c.totalDowntimeMs,
      impact_score: c.impact.score,
      impact: JSON.stringify(c.impact),
      mttr_ms: c.mttrMs,
      cohesion: c.cohesion,
      radius: c.radius,
      badge: c.badge,
      top_terms: JSON.stringify(c.topTerms),
      features: JSON.stringify(c.features),
      centroid: JSON.stringify(c.centroid),
      model_version: c.modelVersion,
      active: 1,
      state: w.state,
      state_changed_at: w.stateChangedAt,
      state_changed_by: w.stateChangedBy,
      state_note: w.stateNote,
      problem_id: w.problemId,
      created_at: w.createdAt,
      refreshed_at: refreshedAt,
    };
    const { id: _id, created_at: _created, ...update } = row;
    await db.insertInto('problem_candidates').values(row).onConflict((oc) => oc.column('id').doUpdateSet(update)).execute();
    await db.deleteFrom('problem_candidate_members').where('candidate_id', '=', c.id).execute();
    const members = c.memberIds.map((m) => ({ candidate_id: c.id, incident_id: Number(m) }));
    for (let i = 0; i < members.length; i += CHUNK) await db.insertInto('problem_candidate_members').values(members.slice(i, i + CHUNK)).execute();
  }
}

export interface CandidateFilter {
  state?: CandidateState[];
  badge?: ProblemBadge[];
  /** Inactive candidates too (gone from the latest refresh). */
  includeInactive?: boolean;
}

/** Highest impact first, then most incidents; members are not loaded (empty `memberIds`). */
export async function listCandidates(db: Db, filter: CandidateFilter = {}): Promise<StoredCandidate[]> {
  let q = db.selectFrom('problem_candidates').selectAll();
  if (!filter.includeInactive) q = q.where('active', '=', 1);
  if (filter.state?.length) q = q.where('state', 'in', filter.state);
  if (filter.badge?.length) q = q.where('badge', 'in', filter.badge);
  const rows = await q.orderBy('impact_score', 'desc').orderBy('member_count', 'desc').orderBy('id').execute();
  return rows.map((r) => toCandidate(r, []));
}

/** Whether candidate `id` exists (its row, without the member list). */
export async function findCandidateRow(db: Db, id: string): Promise<{ id: string } | null> {
  return (await db.selectFrom('problem_candidates').select('id').where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findCandidate(db: Db, id: string, lock = false): Promise<StoredCandidate | null> {
  const row = await db.selectFrom('problem_candidates').selectAll().where('id', '=', id).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  if (!row) return null;
  const members = await db.selectFrom('problem_candidate_members').select('incident_id').where('candidate_id', '=', id).orderBy('incident_id').execute();
  return toCandidate(row, members.map((m) => String(m.incident_id)));
}

export async function setCandidateState(db: Db, id: string, state: CandidateState, by: string, at: number, note: string | null, problemId?: number): Promise<void> {
  await db
    .updateTable('problem_candidates')
    .set({ state, state_changed_by: by, state_changed_at: at, state_note: note, ...(problemId !== undefined ? { problem_id: problemId } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Member incident ids of each candidate, ascending, the first `limit` of each. */
export async function firstMembersOf(db: Db, ids: readonly string[], limit: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const id of ids) {
    const rows = await db.selectFrom('problem_candidate_members').select('incident_id').where('candidate_id', '=', id).orderBy('incident_id').limit(limit).execute();
    out.set(id, rows.map((r) => r.incident_id));
  }
  return out;
}

/** A page of a candidate's member incidents: ids above `after`, ascending, at most `limit`. */
export async function candidateMemberPage(db: Db, id: string, after: number, limit: number): Promise<IncidentSummary[]> {
  const rows = await db
    .selectFrom('problem_candidate_members as m')
    .innerJoin('incidents as i', 'i.id', 'm.incident_id')
    .select(['i.id', 'i.title', 'i.status', 'i.priority', 'i.service', 'i.host', 'i.opened_at', 'i.resolved_at'])
    .where('m.candidate_id', '=', id)
    .where('m.incident_id', '>', after)
    .orderBy('m.incident_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, title: r.title, status: r.status, priority: r.priority, service: r.service, host: r.host, openedAt: r.opened_at, resolvedAt: r.resolved_at }));
}

/** Active candidates that share a member with `incidentId`. */
export async function candidatesOfIncident(db: Db, incidentId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('problem_candidate_members')
    .innerJoin('problem_candidates', 'problem_candidates.id', 'problem_candidate_members.candidate_id')
    .select('problem_candidates.id')
    .where('problem_candidate_members.incident_id', '=', incidentId)
    .where('problem_candidates.active', '=', 1)
    .orderBy('problem_candidates.id')
    .execute();
  return rows.map((r) => r.id);
}

type ProblemRow = Selectable<Database['problems']>;

function toProblem(r: ProblemRow): ProblemRecord {
  return {
    id: r.id,
    title: r.title,
    status: r.status as ProblemStatus,
    rootCause: r.root_cause,
    workaround: r.workaround,
    owner: r.owner,
    candidateId: r.candidate_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    knownErrorAt: r.known_error_at,
    resolvedAt: r.resolved_at,
    fixChangeId: r.fix_change_id === null ? null : Number(r.fix_change_id),
    fixFailedAt: r.fix_failed_at === null ? null : Number(r.fix_failed_at),
  };
}

function toProblemRow(p: Omit<ProblemRecord, 'id'>): Omit<ProblemRow, 'id'> {
  return {
    title: p.title,
    status: p.status,
    root_cause: p.rootCause,
    workaround: p.workaround,
    owner: p.owner,
    candidate_id: p.candidateId,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    known_error_at: p.knownErrorAt,
    resolved_at: p.resolvedAt,
    fix_change_id: p.fixChangeId,
    fix_failed_at: p.fixFailedAt,
  };
}

export async function insertProblem(db: Db, problem: Omit<ProblemRecord, 'id'>): Promise<number> {
  const row = await db.insertInto('problems').values(toProblemRow(problem)).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function saveProblem(db: Db, problem: ProblemRecord): Promise<void> {
  await db.updateTable('problems').set(toProblemRow(problem)).where('id', '=', problem.id).execute();
}

export async function findProblem(db: Db, id: number, lock = false): Promise<ProblemRecord | null> {
  const row = await db.selectFrom('problems').selectAll().where('id', '=', id).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  return row ? toProblem(row) : null;
}

export async function findProblems(db: Db, ids: readonly number[]): Promise<ProblemRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('problems').selectAll().where('id', 'in', [...ids]).orderBy('id').execute();
  return rows.map(toProblem);
}

/** Newest first. */
export async function listProblems(db: Db, filter: { status?: ProblemStatus[]; limit: number }): Promise<ProblemRecord[]> {
  let q = db.selectFrom('problems').selectAll();
  if (filter.status?.length) q = q.where('status', 'in', filter.status);
  const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toProblem);
}

/** Links incidents to a problem; already linked ones are left as they are. Returns how many were new. */
export async function linkIncidents(db: Db, problemId: number, incidentIds: readonly number[], at: number, by: string): Promise<number> {
  if (incidentIds.length === 0) return 0;
  const existing = new Set((await db.selectFrom('problem_incidents').select('incident_id').where('problem_id', '=', problemId).execute()).map((r) => r.incident_id));
  const fresh = [...new Set(incidentIds)].filter((id) => !existing.has(id)).sort((a, b) => a - b);
  for (let i = 0; i < fresh.length; i += CHUNK) {
    await db
      .insertInto('problem_incidents')
      .values(fresh.slice(i, i + CHUNK).map((incident_id) => ({ problem_id: problemId, incident_id, linked_at: at, linked_by: by })))
      .onConflict((oc) => oc.columns(['problem_id', 'incident_id']).doNothing())
      .execute();
  }
  return fresh.length;
}

export async function incidentsOfProblem(db: Db, problemId: number): Promise<{ incidentId: number; linkedAt: number; linkedBy: string }[]> {
  const rows = await db.selectFrom('problem_incidents').selectAll().where('problem_id', '=', problemId).orderBy('incident_id').execute();
  return rows.map((r) => ({ incidentId: r.incident_id, linkedAt: r.linked_at, linkedBy: r.linked_by }));
}

export interface ProblemTimelineEntry {
  id: number;
  problemId: number;
  at: number;
  kind: string;
  actor: string;
  message: string;
  data: unknown;
}

export async function appendProblemTimeline(db: Db, entry: Omit<ProblemTimelineEntry, 'id'>): Promise<void> {
  await db
    .insertInto('problem_timeline')
    .values({ problem_id: entry.problemId, at: entry.at, kind: entry.kind, actor: entry.actor, message: entry.message, data: entry.data === undefined || entry.data === null ? null : JSON.stringify(entry.data) })
    .execute();
}

export async function problemTimeline(db: Db, problemId: number): Promise<ProblemTimelineEntry[]> {
  const rows = await db.selectFrom('problem_timeline').selectAll().where('problem_id', '=', problemId).orderBy('at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, problemId: r.problem_id, at: r.at, kind: r.kind, actor: r.actor, message: r.message, data: r.data === null ? null : JSON.parse(r.data) }));
}

/** Active candidates whose problem is a known error: what new incidents are matched against. */
export async function knownErrorTargets(db: Db): Promise<{ candidate: StoredCandidate; problemId: number }[]> {
  const rows = await db
    .selectFrom('problem_candidates')
    .innerJoin('problems', 'problems.id', 'problem_candidates.problem_id')
    .selectAll('problem_candidates')
    .where('problem_candidates.active', '=', 1)
    // Known errors, and problems with a fix to verify (a recurrence after it: the fix did not hold).
    .where((eb) => eb.or([eb('problems.status', '=', 'known_error'), eb('problems.fix_change_id', 'is not', null)]))
    .orderBy('problem_candidates.id')
    .execute();
  return rows.map((r) => ({ candidate: toCandidate(r, []), problemId: r.problem_id as number }));
}

export async function saveKnownErrorMatches(db: Db, matches: readonly KnownErrorMatchRecord[]): Promise<void> {
  for (let i = 0; i < matches.length; i += CHUNK) {
    await db
      .insertInto('known_error_matches')
      .values(matches.slice(i, i + CHUNK).map((m) => ({ incident_id: m.incidentId, problem_id: m.problemId, candidate_id: m.candidateId, similarity: m.similarity, matched_at: m.matchedAt })))
      .onConflict((oc) => oc.column('incident_id').doNothing())
      .execute();
  }
}

export async function knownErrorMatchOf(db: Db, incidentId: number): Promise<KnownErrorMatchRecord | null> {
  const r = await db.selectFrom('known_error_matches').selectAll().where('incident_id', '=', incidentId).executeTakeFirst();
  return r ? { incidentId: r.incident_id, problemId: r.problem_id, candidateId: r.candidate_id, similarity: r.similarity, matchedAt: r.matched_at } : null;
}

/** For the metrics: active candidates by review state and badge, problems by status. */
export async function countProblemManagement(db: Db): Promise<{ candidates: { state: string; badge: string; count: number }[]; problems: { status: string; count: number }[] }> {
  const candidates = await db
    .selectFrom('problem_candidates')
    .select(['state', 'badge', (eb) => eb.fn.countAll<number>().as('n')])
    .where('active', '=', 1)
    .groupBy(['state', 'badge'])
    .execute();
  const problems = await db
    .selectFrom('problems')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return { candidates: candidates.map((r) => ({ state: r.state, badge: r.badge, count: Number(r.n) })), problems: problems.map((r) => ({ status: r.status, count: Number(r.n) })) };
}

/** Incident ids among `ids` that already carry a known-error match. */
export async function matchedIncidents(db: Db, ids: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db.selectFrom('known_error_matches').select('incident_id').where('incident_id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.add(r.incident_id);
  }
  return out;
}

export interface IncidentSummary {
  id: number;
  title: string;
  status: string;
  priority: string;
  service: string | null;
  host: string | null;
  openedAt: number;
  resolvedAt: number | null;
}

/** Short views of incidents, newest first. */
export async function incidentSummaries(db: Db, ids: readonly number[], limit: number): Promise<IncidentSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('incidents')
    .select(['id', 'title', 'status', 'priority', 'service', 'host', 'opened_at', 'resolved_at'])
    .where('id', 'in', [...ids].sort((a, b) => b - a).slice(0, Math.max(limit, 0) + 1000))
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, title: r.title, status: r.status, priority: r.priority, service: r.service, host: r.host, openedAt: r.opened_at, resolvedAt: r.resolved_at }));
}
