/**
 * @module Problem management: refreshes problem candidates from the incidents of the lookback
 * window (with the stored, frozen model, so ids and centroids stay comparable), takes them
 * through review (new → under review → promoted | dismissed), keeps problems and known errors,
 * and recognises known errors in open incidents.
 */
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connection.js';
import { appendTimeline } from '../db/incidents-repo.js';
import { findChange } from '../db/changes-repo.js';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import {
  appendProblemTimeline,
  candidateMemberPage,
  candidatesOfIncident,
  findCandidate,
  findCandidateRow,
  firstMembersOf,
  findProblem,
  findProblems,
  incidentSummaries,
  incidentsOfProblem,
  insertProblem,
  knownErrorMatchOf,
  knownErrorTargets,
  linkIncidents,
  listCandidates,
  listProblems,
  loadCandidateMemberships,
  loadLatestModel,
  loadProblemIncident,
  loadProblemIncidents,
  servicesOfIncidentsOpened,
  matchedIncidents,
  problemTimeline,
  saveKnownErrorMatches,
  saveModel,
  saveProblem,
  setCandidateState,
  writeRefresh,
  type CandidateFilter,
  type CandidateWrite,
  type IncidentSummary,
  type ProblemTimelineEntry,
} from '../db/problems-repo.js';
import {
  canChangeProblemStatus,
  nextCandidateState,
  type CandidateAction,
  type CandidateState,
  type KnownErrorMatchRecord,
  type ProblemIncident,
  type ProblemRecord,
  type ProblemStatus,
  type StoredCandidate,
} from '../domain/problem.js';
import { fail, ok, type Result } from '../domain/result.js';
import { clusterProblemCandidates, type ClusterOutput } from '../problems/candidates.js';
import { listServices } from '../db/services-repo.js';
import { totalMs } from '../sla/intervals.js';
import { gatherDowntime, whileOpen } from './sla.js';
import { createKnownErrorMatcher, type MatchTarget } from '../problems/known-errors.js';
import type { Clock } from './clock.js';

export interface ProblemOptions {
  lookbackMs: number;
  minIncidents: number;
  seed: number;
  /** Refit vocabulary and IDF when this share of terms is unknown to the frozen model. */
  refitUnknownTermRate: number;
}

export interface ProblemDeps {
  handle: DatabaseHandle;
  clock: Clock;
  log: Logger;
  options: ProblemOptions;
}

const ACTOR = 'sightline';
const OPEN_INCIDENT_STATUSES = ['open', 'acknowledged', 'on_hold'];

// One refresh or recognition pass at a time per database: both rewrite the same rows.
const passes = new WeakMap<DatabaseHandle, Promise<unknown>>();
function serialised<T>(handle: DatabaseHandle, pass: () => Promise<T>): Promise<T> {
  const previous = passes.get(handle) ?? Promise.resolve();
  const next = previous.then(pass, pass);
  passes.set(
    handle,
    next.catch(() => undefined),
  );
  return next;
}

export interface RefreshSummary {
  /** The window clustered: incidents opened in [from, to], epoch ms. */
  from: number;
  to: number;
  incidents: number;
  signatures: number;
  k: number;
  clusters: number;
  candidates: number;
  /** Candidates seen for the first time. */
  created: number;
  /** Dismissed candidates brought back to `new` by new members. */
  reopened: number;
  /** Incidents newly linked to promoted candidates' problems. */
  linked: number;
  modelVersion: string;
  refitted: boolean;
  unknownTermRate: number;
  durationMs: number;
}

/**
 * Each incident's SLA downtime: the outage intervals of each service it reached (as the SLA
 * computes them, dependencies propagated) while it was open, summed over the services (two
 * services down for an hour cost two hours of budget). Services without a policy have no
 * outage intervals, so an incident on them caused no counted downtime.
 */
async function withSlaDowntime(deps: Pick<ProblemDeps, 'handle'>, incidents: ProblemIncident[], from: number, now: number): Promise<ProblemIncident[]> {
  if (incidents.length === 0) return incidents;
  const services = await listServices(deps.handle.db);
  const targets = services.filter((s) => s.sla);
  if (targets.length === 0) return incidents.map((i) => ({ ...i, downtimeMs: 0 }));
  const [{ downtime }, reached] = await Promise.all([gatherDowntime(deps, services, targets, from, now, now), servicesOfIncidentsOpened(deps.handle.db, from, now + 1)]);
  return incidents.map((i) => {
    const names = reached.get(i.id) ?? (i.service ? [i.service] : []);
    return { ...i, downtimeMs: names.reduce((sum, n) => sum + totalMs(whileOpen(downtime.get(n) ?? [], i, now)), 0) };
  });
}

/**
 * Which incidents a refresh clusters: those opened in [from, to], epoch ms. Either end may be
 * left out: `to` is then now, `from` is `to` minus the lookback.
 */
export interface RefreshWindow {
  from?: number;
  to?: number;
}

/**
 * Clusters the lookback window (or the window given, for historical data) into candidates and
 * stores them, keeping ids and reviews. Badges and trends are judged at the window's end.
 */
export function refreshProblemCandidates(deps: ProblemDeps, window: RefreshWindow = {}): Promise<RefreshSummary> {
  return serialised(deps.handle, () => refresh(deps, window));
}

async function refresh(deps: ProblemDeps, window: RefreshWindow): Promise<RefreshSummary> {
  const started = performance.now();
  const { db } = deps.handle;
  // `at` stamps what is written; `now` is the end of the window the candidates are judged at.
  const at = deps.clock.now();
  const now = window.to ?? at;
  const from = window.from ?? now - deps.options.lookbackMs;
  const incidents = await withSlaDowntime(deps, await loadProblemIncidents(db, from, now + 1), from, now);
  const stored = await loadLatestModel(db);
  const previous = await loadCandidateMemberships(db);
  deps.log.info({ incidents: incidents.length, model: stored?.model.version ?? null }, 'problem candidates: refresh started');

  const run = (model: typeof stored) =>
    clusterProblemCandidates(incidents, {
      now,
      seed: deps.options.seed,
      model: model?.model,
      previous: previous.filter((p) => p.memberIds.length > 0),
      options: { minIncidents: deps.options.minIncidents },
    });
  let output: ClusterOutput = run(stored);
  let refitted = !stored;
  // Refit when the vocabulary drifted overall, or when a new recurring fault speaks words it lacks.
  if (stored && incidents.length > 0 && (output.stats.unknownTermRate > deps.options.refitUnknownTermRate || output.stats.unseenRecurringGroups > 0)) {
    deps.log.info({ unknownTermRate: output.stats.unknownTermRate, unseenRecurringGroups: output.stats.unseenRecurringGroups }, 'problem candidates: vocabulary drifted; refitting the model');
    output = run(null);
    refitted = true;
  }
  deps.log.info({ signatures: output.stats.signatures, k: output.stats.k, clusters: output.stats.clusters, candidates: output.candidates.length }, 'problem candidates: clustered');

  const byId = new Map(previous.map((p) => [p.id, p]));
  let created = 0;
  let reopened = 0;
  const links: { problemId: number; incidentIds: number[] }[] = [];
  const writes: CandidateWrite[] = output.candidates.map((candidate) => {
    const before = byId.get(candidate.id);
    if (!before) {
      created++;
      return { candidate, state: 'new', stateChangedAt: at, stateChangedBy: ACTOR, stateNote: null, problemId: null, createdAt: at };
    }
    const known = new Set(before.memberIds);
    const arrivals = candidate.memberIds.filter((m) => !known.has(m)).map(Number);
    let state: CandidateState = before.state;
    let changedAt = before.stateChangedAt;
    let changedBy = before.stateChangedBy;
    let note = before.stateNote;
    // A dismissed candidate comes back only when new incidents join it.
    if (before.state === 'dismissed' && arrivals.length > 0) {
      state = 'new';
      changedAt = at;
      changedBy = ACTOR;
      note = `${arrivals.length} new incident(s) since it was dismissed`;
      reopened++;
    }
    if (before.state === 'promoted' && before.problemId !== null && arrivals.length > 0) links.push({ problemId: before.problemId, incidentIds: arrivals });
    return { candidate, state, stateChangedAt: changedAt, stateChangedBy: changedBy, stateNote: note, problemId: before.problemId, createdAt: before.createdAt };
  });

  let linked = 0;
  await db.transaction().execute(async (trx) => {
    if (output.model.version !== stored?.model.version) await saveModel(trx, output.model, at);
    await writeRefresh(trx, writes, at);
    for (const { problemId, incidentIds } of links) {
      const added = await linkIncidents(trx, problemId, incidentIds, at, 'refresh');
      if (added > 0) {
        linked += added;
        await appendProblemTimeline(trx, { problemId, at, kind: 'incidents_linked', actor: ACTOR, message: `${added} new incident(s) of the same fault linked by the candidate refresh`, data: { incidentIds } });
      }
    }
  });
  const summary: RefreshSummary = {
    from,
    to: now,
    incidents: incidents.length,
    signatures: output.stats.signatures,
    k: output.stats.k,
    clusters: output.stats.clusters,
    candidates: output.candidates.length,
    created,
    reopened,
    linked,
    modelVersion: output.model.version,
    refitted,
    unknownTermRate: output.stats.unknownTermRate,
    durationMs: Math.round(performance.now() - started),
  };
  deps.log.info(summary, 'problem candidates: refresh done');
  return summary;
}

export function listProblemCandidates(deps: Pick<ProblemDeps, 'handle'>, filter: CandidateFilter): Promise<StoredCandidate[]> {
  return listCandidates(deps.handle.db, filter);
}

/** A candidate with the first page of its member incident ids; `nextAfter` is null on the last page. */
export interface CandidateWithMembers {
  candidate: StoredCandidate;
  memberIds: number[];
  nextAfter: number | null;
}

/** The candidates of `filter`, each with its first `perCandidate` member incident ids. */
export async function listProblemCandidatesWithMembers(deps: Pick<ProblemDeps, 'handle'>, filter: CandidateFilter, perCandidate: number): Promise<CandidateWithMembers[]> {
  const candidates = await listCandidates(deps.handle.db, filter);
  const members = await firstMembersOf(deps.handle.db, candidates.map((c) => c.id), perCandidate);
  return candidates.map((candidate) => {
    const memberIds = members.get(candidate.id) ?? [];
    return { candidate, memberIds, nextAfter: candidate.count > memberIds.length && memberIds.length > 0 ? (memberIds[memberIds.length - 1] as number) : null };
  });
}

export interface MemberPage {
  incidents: IncidentSummary[];
  /** The cursor of the next page (the last incident id given), null on the last page. */
  nextAfter: number | null;
}

/** A page of a candidate's member incidents, ids ascending, after incident `after` (0: from the start). */
export async function candidateMembers(deps: Pick<ProblemDeps, 'handle'>, id: string, after: number, limit: number): Promise<Result<MemberPage>> {
  const candidate = await findCandidateRow(deps.handle.db, id);
  if (!candidate) return fail('NOT_FOUND', `problem candidate ${id} not found`);
  const page = await candidateMemberPage(deps.handle.db, id, after, limit + 1);
  const incidents = page.slice(0, limit);
  return ok({ incidents, nextAfter: page.length > limit ? (incidents[incidents.length - 1] as IncidentSummary).id : null });
}

export interface CandidateDetail {
  candidate: StoredCandidate;
  incidents: IncidentSummary[];
  problem: ProblemRecord | null;
}

const MEMBER_LIMIT = 200;

export async function getProblemCandidate(deps: Pick<ProblemDeps, 'handle'>, id: string): Promise<Result<CandidateDetail>> {
  const candidate = await findCandidate(deps.handle.db, id);
  if (!candidate) return fail('NOT_FOUND', `problem candidate ${id} not found`);
  const incidents = await incidentSummaries(deps.handle.db, candidate.memberIds.map(Number), MEMBER_LIMIT);
  const problem = candidate.problemId === null ? null : await findProblem(deps.handle.db, candidate.problemId);
  return ok({ candidate, incidents, problem });
}

export interface PromoteInput {
  title?: string;
  owner?: string | null;
  note?: string | null;
}

/** review / dismiss / promote a candidate; promote creates the problem and links the members. */
export async function actOnCandidate(deps: Pick<ProblemDeps, 'handle' | 'clock'>, id: string, action: CandidateAction, actor: string, input: PromoteInput = {}): Promise<Result<CandidateDetail>> {
  const lock = deps.handle.dialect === 'postgres';
  const now = deps.clock.now();
  const outcome = await deps.handle.db.transaction().execute(async (trx): Promise<Result<null>> => {
    const candidate = await findCandidate(trx, id, lock);
    if (!candidate) return fail('NOT_FOUND', `problem candidate ${id} not found`);
    const next = nextCandidateState(candidate.state, action);
    if (next === null) return fail('CONFLICT', `cannot ${action} a candidate that is ${candidate.state.replace('_', ' ')}`, { state: candidate.state });
    if (action !== 'promote') {
      await setCandidateState(trx, id, next, actor, now, input.note ?? null);
      return ok(null);
    }
    const problemId = await insertProblem(trx, {
      title: input.title ?? candidate.name,
      status: 'open',
      rootCause: null,
      workaround: null,
      owner: input.owner ?? null,
      candidateId: candidate.id,
      createdAt: now,
      updatedAt: now,
      knownErrorAt: null,
      resolvedAt: null,
      fixChangeId: null,
      fixFailedAt: null,
    });
    await linkIncidents(trx, problemId, candidate.memberIds.map(Number), now, 'promotion');
    await appendProblemTimeline(trx, {
      problemId,
      at: now,
      kind: 'created',
      actor,
      message: `Promoted from problem candidate ${candidate.id} (${candidate.count} incidents)${input.note ? `: ${input.note}` : ''}`,
      data: { candidateId: candidate.id, incidents: candidate.count },
    });
    await setCandidateState(trx, id, 'promoted', actor, now, input.note ?? null, problemId);
    return ok(null);
  });
  if (!outcome.ok) return outcome;
  return getProblemCandidate(deps, id);
}

export interface ProblemInput {
  title: string;
  owner?: string | null;
  rootCause?: string | null;
  workaround?: string | null;
  incidentIds?: number[];
}

export interface ProblemPatch {
  title?: string;
  status?: ProblemStatus;
  owner?: string | null;
  rootCause?: string | null;
  workaround?: string | null;
  /** Incidents to link (added to those linked already). */
  linkIncidents?: number[];
  note?: string;
  /** The change that fixes it (a recurrence after it means the fix did not hold); null clears it. */
  fixChangeId?: number | null;
}

export interface ProblemDetail {
  problem: ProblemRecord;
  incidents: (IncidentSummary & { linkedAt: number; linkedBy: string })[];
  timeline: ProblemTimelineEntry[];
}

async function existingIncidents(deps: Pick<ProblemDeps, 'handle'>, ids: readonly number[]): Promise<Result<number[]>> {
  const unique = [...new Set(ids)];
  const found = new Set((await incidentSummaries(deps.handle.db, unique, unique.length)).map((i) => i.id));
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length) return fail('VALIDATION', `unknown incident(s): ${missing.slice(0, 10).join(', ')}`, { field: 'incidentIds', missing: missing.slice(0, 100) });
  return ok(unique);
}

export async function createProblem(deps: Pick<ProblemDeps, 'handle' | 'clock'>, input: ProblemInput, actor: string): Promise<Result<ProblemDetail>> {
  const incidents = await existingIncidents(deps, input.incidentIds ?? []);
  if (!incidents.ok) return incidents;
  const now = deps.clock.now();
  const id = await deps.handle.db.transaction().execute(async (trx) => {
    const problemId = await insertProblem(trx, {
      title: input.title,
      status: 'open',
      rootCause: input.rootCause ?? null,
      workaround: input.workaround ?? null,
      owner: input.owner ?? null,
      candidateId: null,
      createdAt: now,
      updatedAt: now,
      knownErrorAt: null,
      resolvedAt: null,
      fixChangeId: null,
      fixFailedAt: null,
    });
    await linkIncidents(trx, problemId, incidents.value, now, actor);
    await appendProblemTimeline(trx, { problemId, at: now, kind: 'created', actor, message: 'Problem recorded', data: { incidents: incidents.value.length } });
    return problemId;
  });
  return getProblemDetail(deps, id);
}

export async function getProblemDetail(deps: Pick<ProblemDeps, 'handle'>, id: number): Promise<Result<ProblemDetail>> {
  const db = deps.handle.db;
  const problem = await findProblem(db, id);
  if (!problem) return fail('NOT_FOUND', `problem ${id} not found`);
  const links = await incidentsOfProblem(db, id);
  const byId = new Map(links.map((l) => [l.incidentId, l]));
  const summaries = await incidentSummaries(db, links.map((l) => l.incidentId), MEMBER_LIMIT);
  const incidents = summaries.map((s) => ({ ...s, linkedAt: (byId.get(s.id) as { linkedAt: number }).linkedAt, linkedBy: (byId.get(s.id) as { linkedBy: string }).linkedBy }));
  return ok({ problem, incidents, timeline: await problemTimeline(db, id) });
}

export function listProblemRecords(deps: Pick<ProblemDeps, 'handle'>, filter: { status?: ProblemStatus[]; limit: number }): Promise<ProblemRecord[]> {
  return listProblems(deps.handle.db, filter);
}

const FIELD_NAMES: Record<string, string> = { title: 'title', owner: 'owner', rootCause: 'root cause', workaround: 'workaround' };

/**
 * Edits a problem. A known error needs a workaround: moving to `known_error` without one
 * (given now or recorded before) is refused.
 */
export async function updateProblem(deps: Pick<ProblemDeps, 'handle' | 'clock'>, id: number, patch: ProblemPatch, actor: string): Promise<Result<ProblemDetail>> {
  const link = await existingIncidents(deps, patch.linkIncidents ?? []);
  if (!link.ok) return link;
  const lock = deps.handle.dialect === 'postgres';
  const now = deps.clock.now();
  const outcome = await deps.handle.db.transaction().execute(async (trx): Promise<Result<null>> => {
    const problem = await findProblem(trx, id, lock);
    if (!problem) return fail('NOT_FOUND', `problem ${id} not found`);
    const next: ProblemRecord = { ...problem };
    const changes: string[] = [];
    for (const field of ['title', 'owner', 'rootCause', 'workaround'] as const) {
      const value = patch[field];
      if (value !== undefined && value !== problem[field]) {
        (next as unknown as Record<string, unknown>)[field] = value;
        changes.push(FIELD_NAMES[field] as string);
      }
    }
    if (patch.status !== undefined && patch.status !== problem.status) {
      if (!canChangeProblemStatus(problem.status, patch.status)) return fail('CONFLICT', `a problem cannot go from ${problem.status} to ${patch.status}`, { status: problem.status });
      if (patch.status === 'known_error' && !next.workaround) return fail('VALIDATION', 'a known error needs a workaround: give "workaround" with the status change', { field: 'workaround' });
      next.status = patch.status;
      if (patch.status === 'known_error') next.knownErrorAt = now;
      next.resolvedAt = patch.status === 'resolved' ? now : null;
    }
    if (next.status === 'known_error' && !next.workaround) return fail('VALIDATION', 'a known error needs a workaround; it cannot be cleared', { field: 'workaround' });
    let fixEntry: { message: string; data: Record<string, unknown> } | null = null;
    if (patch.fixChangeId !== undefined && patch.fixChangeId !== problem.fixChangeId) {
      const fix = patch.fixChangeId === null ? null : await findChange(trx, patch.fixChangeId);
      if (patch.fixChangeId !== null && !fix) return fail('VALIDATION', `fixChangeId: change ${patch.fixChangeId} not found`, { field: 'fixChangeId' });
      next.fixChangeId = patch.fixChangeId;
      next.fixFailedAt = null;
      fixEntry = fix
        ? { message: `Fix: change #${fix.id} (${fix.summary}) on ${fix.service}; a recurrence after it will show the fix did not hold`, data: { changeId: fix.id, service: fix.service, startedAt: fix.startedAt } }
        : { message: 'Fix change cleared', data: { changeId: null } };
    }
    next.updatedAt = now;
    await saveProblem(trx, next);
    if (next.status !== problem.status) {
      const message = next.status === 'known_error' ? `Known error: workaround published` : next.status === 'resolved' ? 'Resolved' : 'Reopened';
      await appendProblemTimeline(trx, { problemId: id, at: now, kind: 'status', actor, message, data: { from: problem.status, to: next.status } });
    }
    if (changes.length) await appendProblemTimeline(trx, { problemId: id, at: now, kind: 'edited', actor, message: `Changed ${changes.join(', ')}`, data: { fields: changes } });
    if (fixEntry) await appendProblemTimeline(trx, { problemId: id, at: now, kind: 'fix', actor, message: fixEntry.message, data: fixEntry.data });
    const added = await linkIncidents(trx, id, link.value, now, actor);
    if (added > 0) await appendProblemTimeline(trx, { problemId: id, at: now, kind: 'incidents_linked', actor, message: `${added} incident(s) linked`, data: { incidentIds: link.value } });
    if (patch.note) await appendProblemTimeline(trx, { problemId: id, at: now, kind: 'note', actor, message: patch.note, data: null });
    return ok(null);
  });
  if (!outcome.ok) return outcome;
  return getProblemDetail(deps, id);
}

export interface RecognitionSummary {
  checked: number;
  matched: number;
}

/**
 * Matches open incidents not matched yet against the known errors: the nearest centroid of a
 * candidate whose problem is a known error, within that candidate's radius. A match is stored,
 * written on the incident's timeline with the workaround, and links the incident to the problem.
 */
export function recognizeKnownErrors(deps: ProblemDeps): Promise<RecognitionSummary> {
  return serialised(deps.handle, () => recognize(deps));
}

async function recognize(deps: ProblemDeps): Promise<RecognitionSummary> {
  const { db } = deps.handle;
  const targets = await knownErrorTargets(db);
  const stored = await loadLatestModel(db);
  if (targets.length === 0 || !stored) return { checked: 0, matched: 0 };
  const now = deps.clock.now();
  const open = await loadProblemIncidents(db, now - deps.options.lookbackMs, now + 1, OPEN_INCIDENT_STATUSES);
  const already = await matchedIncidents(db, open.map((i) => Number(i.id)));
  const pending = open.filter((i) => !already.has(Number(i.id)));
  if (pending.length === 0) return { checked: 0, matched: 0 };
  const problemOf = new Map(targets.map((t) => [t.candidate.id, t.problemId]));
  const matchTargets: MatchTarget[] = targets.map((t) => ({ id: t.candidate.id, centroid: t.candidate.centroid, radius: t.candidate.radius, modelVersion: t.candidate.modelVersion }));
  const knownNames = { hosts: [...new Set(targets.flatMap((t) => t.candidate.hosts))], services: [...new Set(targets.flatMap((t) => t.candidate.services))] };
  const match = createKnownErrorMatcher(stored.model, matchTargets, { knownNames });
  const matches: KnownErrorMatchRecord[] = [];
  for (const incident of pending) {
    const m = match(incident);
    if (m) matches.push({ incidentId: Number(incident.id), problemId: problemOf.get(m.id) as number, candidateId: m.id, similarity: m.similarity, matchedAt: now });
  }
  if (matches.length) {
    const problems = new Map((await findProblems(db, [...new Set(matches.map((m) => m.problemId))])).map((p) => [p.id, p]));
    const openedAt = new Map(pending.map((i) => [Number(i.id), i.openedAt]));
    await db.transaction().execute(async (trx) => {
      await saveKnownErrorMatches(trx, matches);
      for (const m of matches) {
        const problem = problems.get(m.problemId) as ProblemRecord;
        if (problem.status === 'known_error') {
          await appendTimeline(trx, {
            incidentId: m.incidentId,
            at: now,
            kind: 'known_error',
            actor: ACTOR,
            message: `Known error #${problem.id} "${problem.title}" (similarity ${m.similarity.toFixed(2)}). Workaround: ${problem.workaround ?? '(none recorded)'}`,
            data: { problemId: problem.id, candidateId: m.candidateId, similarity: m.similarity, workaround: problem.workaround },
          });
        }
        await verifyFix(trx, problem, m, openedAt.get(m.incidentId) ?? now, now);
        if ((await linkIncidents(trx, m.problemId, [m.incidentId], now, 'recognition')) > 0) {
          await appendProblemTimeline(trx, { problemId: m.problemId, at: now, kind: 'recognised', actor: ACTOR, message: `Incident ${m.incidentId} recognised as this known error`, data: { incidentId: m.incidentId, similarity: m.similarity } });
        }
      }
    });
    deps.log.info({ checked: pending.length, matched: matches.length }, 'known errors recognised in open incidents');
  }
  return { checked: pending.length, matched: matches.length };
}

/**
 * Fix verification: an incident of the problem's signature that began after its fix change
 * shows the fix did not hold. The first such recurrence marks the problem (`fixFailedAt`),
 * reopens it when it was resolved, and says so on both timelines.
 */
async function verifyFix(trx: Transaction<Database>, problem: ProblemRecord, m: KnownErrorMatchRecord, incidentOpenedAt: number, now: number): Promise<void> {
  if (problem.fixChangeId === null || problem.fixFailedAt !== null) return;
  const fix = await findChange(trx, problem.fixChangeId);
  if (!fix || incidentOpenedAt < fix.startedAt) return;
  const after = Math.round((incidentOpenedAt - fix.startedAt) / 60_000);
  const next: ProblemRecord = { ...problem, fixFailedAt: now, updatedAt: now, ...(problem.status === 'resolved' ? { status: 'open' as const, resolvedAt: null } : {}) };
  await saveProblem(trx, next);
  problem.fixFailedAt = now;
  const data = { incidentId: m.incidentId, changeId: fix.id, similarity: m.similarity };
  const message = `Fix did not hold: incident #${m.incidentId} recurred ${after} min after change #${fix.id} (${fix.summary})`;
  await appendProblemTimeline(trx, { problemId: problem.id, at: now, kind: 'fix_failed', actor: ACTOR, message: problem.status === 'resolved' ? `${message}; reopened` : message, data });
  if (problem.status === 'resolved') await appendProblemTimeline(trx, { problemId: problem.id, at: now, kind: 'status', actor: ACTOR, message: 'Reopened', data: { from: 'resolved', to: 'open' } });
  await appendTimeline(trx, {
    incidentId: m.incidentId,
    at: now,
    kind: 'fix_failed',
    actor: ACTOR,
    message: `Recurrence of problem #${problem.id} "${problem.title}" after its fix, change #${fix.id} (${fix.summary}): the fix did not hold`,
    data: { problemId: problem.id, changeId: fix.id, similarity: m.similarity },
  });
}

export interface IncidentKnownError {
  problem: ProblemRecord;
  candidateId: string;
  similarity: number;
  matchedAt: number;
}

/** The known error an incident was recognised as, or null. */
export async function knownErrorOfIncident(deps: Pick<ProblemDeps, 'handle'>, incidentId: number): Promise<IncidentKnownError | null> {
  const m = await knownErrorMatchOf(deps.handle.db, incidentId);
  if (!m) return null;
  const problem = await findProblem(deps.handle.db, m.problemId);
  return problem ? { problem, candidateId: m.candidateId, similarity: m.similarity, matchedAt: m.matchedAt } : null;
}

export interface SimilarIncidents {
  /** `member`: the incident belongs to the candidate; `nearest`: its nearest centroid, within the radius. */
  candidates: { id: string; name: string; state: CandidateState; via: 'member' | 'nearest'; similarity: number | null }[];
  incidents: IncidentSummary[];
}

/**
 * Past incidents of the same fault: the other members of the candidates the incident belongs
 * to, or else of the candidate whose centroid is nearest to it (within that candidate's radius).
 */
export async function similarIncidents(deps: Pick<ProblemDeps, 'handle'>, incidentId: number, limit: number): Promise<Result<SimilarIncidents>> {
  const db = deps.handle.db;
  const incident = await loadProblemIncident(db, incidentId);
  if (!incident) return fail('NOT_FOUND', `incident ${incidentId} not found`);
  const found: { candidate: StoredCandidate; via: 'member' | 'nearest'; similarity: number | null }[] = [];
  for (const id of await candidatesOfIncident(db, incidentId)) {
    const candidate = await findCandidate(db, id);
    if (candidate) found.push({ candidate, via: 'member', similarity: null });
  }
  const stored = found.length === 0 ? await loadLatestModel(db) : null;
  if (stored) {
    const active = await listCandidates(db);
    const targets = active.map((c) => ({ id: c.id, centroid: c.centroid, radius: c.radius, modelVersion: c.modelVersion }));
    const knownNames = { hosts: [...new Set(active.flatMap((c) => c.hosts))], services: [...new Set(active.flatMap((c) => c.services))] };
    const match = createKnownErrorMatcher(stored.model, targets, { knownNames })(incident);
    const candidate = match && (await findCandidate(db, match.id));
    if (candidate) found.push({ candidate, via: 'nearest', similarity: (match as { similarity: number }).similarity });
  }
  const others = [...new Set(found.flatMap((f) => f.candidate.memberIds.map(Number)))].filter((id) => id !== incidentId);
  return ok({
    candidates: found.map((f) => ({ id: f.candidate.id, name: f.candidate.name, state: f.candidate.state, via: f.via, similarity: f.similarity })),
    incidents: await incidentSummaries(db, others, limit),
  });
}

/** The service's options from the `problems` configuration block. */
export function problemOptionsOf(config: { lookback: number; minIncidents: number; seed: number; refitUnknownTermRate: number }): ProblemOptions {
  return { lookbackMs: config.lookback, minIncidents: config.minIncidents, seed: config.seed, refitUnknownTermRate: config.refitUnknownTermRate };
}
