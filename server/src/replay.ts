/**
 * @module Replay: re-runs correlation over a window of the stored alert log, in memory, with
 * the live rules or rules to try, and compares the incidents it makes with the ones the live
 * correlator made. The same pure engine as live (`correlate/engine.ts`) folds the events over
 * a fresh state: no server, no scratch database. The live database is only read (SELECT).
 *
 * What is replayed: every stored event of an alert episode that started in [from, to)
 * (selecting on `starts_at` keeps episodes whole: an episode that started before `from` is
 * left out with its resolve), in log order, i.e. by id, the order the live correlator applied
 * them. Event-time order would be wrong here: a late sender was correlated late live too.
 * Arrival times are kept: events arriving within a few milliseconds form one run (as the live
 * correlator's kick gathers them), applied at its last arrival and followed by housekeeping;
 * after a pause longer than the housekeeping interval, a tick runs one interval before the next
 * arrival, as the server's periodic tick would have. Live, housekeeping lags by up to one
 * interval; the replay stays inside that band. Silences appear once they were created.
 *
 * Not replayed: operator actions (manual resolve, merge, split: they are counted), the
 * catalogue's history (today's catalogue is used), and the earlier versions of a re-sent
 * event (the log keeps its latest lease only).
 *
 * The log and timeline queries live in `db/replay-repo.ts`: they are replay's own, a one-shot
 * scan that nothing else in the server needs.
 */
import { createHash } from 'node:crypto';
import type { ServerConfig } from './config.js';
import { applyEvents, runHousekeeping, type CorrelationChanges, type CorrelationConfig } from './correlate/engine.js';
import type { RecordedAction } from './domain/incident-action.js';
import { CorrelationState } from './correlate/state.js';
import { ServiceGraph } from './correlate/topology.js';
import type { StoredAlertEvent } from './domain/alert.js';
import type { Silence } from './domain/silence.js';
import { mergeTargets } from './db/incidents-repo.js';
import { storedEvent } from './db/alert-events-repo.js';
import { countOperatorEntries, incidentTitles, readEventPage, timelinePage, type LogRow } from './db/replay-repo.js';
import type { DatabaseHandle } from './db/connection.js';
import { listServices } from './db/services-repo.js';
import { OCCURRENCE_LOOKAHEAD_MS, silencesInEffect } from './services/recurring-silences.js';
import { correlatorSettings } from './services/correlator.js';

export interface ReplayOptions {
  /** The live database: only read. */
  source: DatabaseHandle;
  /** The rules to try: correlation, noise control and (with `catalogue: 'config'`) services. */
  config: Readonly<ServerConfig>;
  /** Half-open window [from, to) on the episodes' start (epoch ms). */
  from: number;
  to: number;
  /** `live`: copy the live service catalogue; `config`: use `config.services` instead. */
  catalogue: 'live' | 'config';
}

/** One side's incidents over the alert episodes of the window. */
export interface ReplaySide {
  incidents: number;
  /** Alert episodes attached to an incident. */
  alerts: number;
  /** Alerts per incident. */
  compression: number;
  /** A hash of the grouping (which alerts share an incident), equal for equal groupings. */
  digest: string;
}

export interface IncidentRef {
  id: number;
  title: string;
  /** How many of the window's alerts the incident holds on its side. */
  alerts: number;
}

export type GroupingDifference =
  /** A live incident whose alerts the replay puts in several incidents. */
  | { kind: 'split'; pairs: number; live: IncidentRef; replay: (IncidentRef & { shared: number })[] }
  /** A replay incident that gathers alerts of several live incidents. */
  | { kind: 'merge'; pairs: number; replay: IncidentRef; live: (IncidentRef & { shared: number })[] };

export interface ReplayResult {
  from: number;
  to: number;
  /** Stored events replayed, and the alert episodes (source, fingerprint, start) they make. */
  events: number;
  episodes: number;
  catalogue: { from: 'live' | 'config'; services: number };
  silences: number;
  live: ReplaySide;
  replay: ReplaySide;
  /** Pairs of alerts that share an incident: in both, live only, replay only. */
  pairs: { both: number; onlyLive: number; onlyReplay: number; /** 2·both / (live + replay pairs); 1 when both have none. */ agreement: number };
  /** Alerts in an incident on one side only (e.g. silenced, inhibited or stale on the other). */
  attached: { onlyLive: number; onlyReplay: number };
  /** Largest first (by pairs of alerts affected). */
  differences: GroupingDifference[];
  /** Manual resolves, merges, splits… on the live incidents of the window: a replay does not repeat them. */
  operatorActions: number;
  /** Live incidents of the window opened before `from`: their earlier alerts are not replayed, so they may group differently. */
  openedBeforeWindow: number;
  /** How long correlating the window in memory took (reading the log excluded), in milliseconds. */
  correlateMs: number;
}

const READ_PAGE = 2000;
/** Arrivals this close apart were applied together live (the correlator's kick delay). */
const RUN_COALESCE_MS = 20;
const ID_CHUNK = 500;
/** Timeline entries that record where the correlator put an alert episode. */
const ATTACH_KINDS = ['opened', 'alert_joined'];
/** Timeline kinds an operator writes that change incidents' membership or state. */
const OPERATOR_KINDS = ['merged', 'split', 'open', 'on_hold', 'resolved', 'closed', 'cancelled'];

const episodeKey = (source: string, fingerprint: string, startsAt: number) => `${source}\u0000${fingerprint}\u0000${startsAt}`;
const pairsOf = (n: number) => (n * (n - 1)) / 2;

export interface ArrivalRun {
  /** Index range [first, last] into the replayed events. */
  first: number;
  last: number;
  /** Effective arrival of the first and last event. */
  startsAt: number;
  endsAt: number;
}

/**
 * Groups events (in log order) into arrival runs. A re-sent event keeps its first id but
 * carries the time of its latest re-send, so an event's effective arrival is the earliest
 * arrival at or after it in the log: non-decreasing, and close to when it was first applied.
 */
export function planArrivalRuns(receivedAt: readonly number[], coalesceMs: number): ArrivalRun[] {
  const effective = new Array<number>(receivedAt.length);
  let min = Infinity;
  for (let i = receivedAt.length - 1; i >= 0; i--) {
    min = Math.min(min, receivedAt[i] as number);
    effective[i] = min;
  }
  const runs: ArrivalRun[] = [];
  for (let i = 0; i < effective.length; i++) {
    const at = effective[i] as number;
    const run = runs[runs.length - 1];
    if (run && at <= run.startsAt + Math.max(coalesceMs, 0)) {
      run.last = i;
      run.endsAt = at;
    } else runs.push({ first: i, last: i, startsAt: at, endsAt: at });
  }
  return runs;
}

/** The window's events in log order, as the correlator reads them. */
async function readEvents(source: DatabaseHandle, from: number, to: number): Promise<StoredAlertEvent[]> {
  const events: StoredAlertEvent[] = [];
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await readEventPage(source.db, from, to, after, READ_PAGE);
    if (rows.length === 0) break;
    after = Number((rows[rows.length - 1] as LogRow).id);
    events.push(...rows.map(storedEvent));
    if (rows.length < READ_PAGE) break;
  }
  return events;
}

/** Each episode's incident, followed through `mergedInto` (from → into) to where it ended up. */
function followMerges(assignment: Map<string, number>, mergedInto: ReadonlyMap<number, number>): Map<string, number> {
  const finalOf = (id: number) => {
    for (const seen = new Set<number>(); mergedInto.has(id) && !seen.has(id); ) {
      seen.add(id);
      id = mergedInto.get(id) as number;
    }
    return id;
  };
  for (const [key, incident] of assignment) assignment.set(key, finalOf(incident));
  return assignment;
}

/**
 * Where each alert episode of the window was put: episode key → incident id, from the
 * timeline, followed through the correlator's own merges (they are part of correlating; an
 * operator's merges are not, and are counted instead).
 */
async function episodeIncidents(handle: DatabaseHandle, from: number, to: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await timelinePage(handle.db, ATTACH_KINDS, from, to, after, READ_PAGE * 2);
    for (const row of rows) {
      const data = JSON.parse(row.data ?? 'null') as { source?: unknown; fingerprint?: unknown } | null;
      // A later entry for the same episode (a lease renewed after it ran out) wins.
      if (typeof data?.source === 'string' && typeof data.fingerprint === 'string') out.set(episodeKey(data.source, data.fingerprint, Number(row.at)), Number(row.incident_id));
    }
    if (rows.length < READ_PAGE * 2) break;
    after = Number((rows[rows.length - 1] as (typeof rows)[number]).id);
  }
  const mergedInto = new Map<number, number>();
  for (let pending = [...new Set(out.values())]; pending.length > 0; ) {
    const next: number[] = [];
    for (const [from, into] of await mergeTargets(handle.db, pending, true)) {
      if (mergedInto.has(from)) continue;
      mergedInto.set(from, into);
      next.push(into);
    }
    pending = next.filter((id) => !mergedInto.has(id));
  }
  return followMerges(out, mergedInto);
}

/** As `episodeIncidents`, from the timeline the replay wrote in memory. */
function replayedEpisodeIncidents(timeline: readonly CorrelationChanges['timeline'][number][], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  const mergedInto = new Map<number, number>();
  for (const entry of timeline) {
    const data = entry.data as { source?: unknown; fingerprint?: unknown; into?: unknown } | null;
    if (ATTACH_KINDS.includes(entry.kind) && entry.at >= from && entry.at < to && typeof data?.source === 'string' && typeof data.fingerprint === 'string') {
      out.set(episodeKey(data.source, data.fingerprint, entry.at), entry.incidentId);
    }
    if (entry.kind === 'merged' && entry.actor === 'sightline' && typeof data?.into === 'number' && !mergedInto.has(entry.incidentId)) mergedInto.set(entry.incidentId, data.into);
  }
  return followMerges(out, mergedInto);
}

async function incidentsById(handle: DatabaseHandle, ids: readonly number[]): Promise<Map<number, { title: string; openedAt: number }>> {
  const out = new Map<number, { title: string; openedAt: number }>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const rows = await incidentTitles(handle.db, ids.slice(i, i + ID_CHUNK));
    for (const row of rows) out.set(Number(row.id), { title: row.title, openedAt: Number(row.opened_at) });
  }
  return out;
}

async function countOperatorActions(handle: DatabaseHandle, incidentIds: readonly number[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < incidentIds.length; i += ID_CHUNK) {
    total += await countOperatorEntries(handle.db, incidentIds.slice(i, i + ID_CHUNK), OPERATOR_KINDS);
  }
  return total;
}

function sideOf(assignment: ReadonlyMap<string, number>): ReplaySide {
  const members = new Map<number, string[]>();
  for (const [key, incident] of assignment) {
    const list = members.get(incident);
    if (list) list.push(key);
    else members.set(incident, [key]);
  }
  // The grouping without incident ids: sorted member lists, sorted.
  const canonical = [...members.values()].map((keys) => keys.sort().join('\u0001')).sort();
  const digest = createHash('sha256').update(canonical.join('\u0002')).digest('hex').slice(0, 16);
  const incidents = members.size;
  return { incidents, alerts: assignment.size, compression: incidents === 0 ? 0 : Math.round((assignment.size / incidents) * 100) / 100, digest };
}

/** The comparison itself, on ids only: pairs, and which incidents split or merged. */
export function compareGroupings(live: ReadonlyMap<string, number>, replay: ReadonlyMap<string, number>) {
  const sizes = (assignment: ReadonlyMap<string, number>) => {
    const out = new Map<number, number>();
    for (const incident of assignment.values()) out.set(incident, (out.get(incident) ?? 0) + 1);
    return out;
  };
  const liveSize = sizes(live);
  const replaySize = sizes(replay);
  // Contingency table over the alerts in an incident on both sides.
  const cells = new Map<number, Map<number, number>>();
  const byReplay = new Map<number, Map<number, number>>();
  for (const [key, l] of live) {
    const r = replay.get(key);
    if (r === undefined) continue;
    const row = cells.get(l) ?? new Map<number, number>();
    row.set(r, (row.get(r) ?? 0) + 1);
    cells.set(l, row);
    const column = byReplay.get(r) ?? new Map<number, number>();
    column.set(l, (column.get(l) ?? 0) + 1);
    byReplay.set(r, column);
  }
  let both = 0;
  for (const row of cells.values()) for (const n of row.values()) both += pairsOf(n);
  let livePairs = 0;
  for (const n of liveSize.values()) livePairs += pairsOf(n);
  let replayPairs = 0;
  for (const n of replaySize.values()) replayPairs += pairsOf(n);

  const byShared = (a: [number, number], b: [number, number]) => b[1] - a[1] || a[0] - b[0];
  const splits: { pairs: number; live: number; replay: [number, number][] }[] = [];
  for (const [l, row] of cells) {
    if (row.size < 2) continue;
    const shared = [...row.values()];
    splits.push({ pairs: pairsOf(shared.reduce((a, b) => a + b, 0)) - shared.reduce((a, n) => a + pairsOf(n), 0), live: l, replay: [...row].sort(byShared) });
  }
  const merges: { pairs: number; replay: number; live: [number, number][] }[] = [];
  for (const [r, column] of byReplay) {
    if (column.size < 2) continue;
    const shared = [...column.values()];
    merges.push({ pairs: pairsOf(shared.reduce((a, b) => a + b, 0)) - shared.reduce((a, n) => a + pairsOf(n), 0), replay: r, live: [...column].sort(byShared) });
  }
  return {
    liveSize,
    replaySize,
    pairs: {
      both,
      onlyLive: livePairs - both,
      onlyReplay: replayPairs - both,
      agreement: livePairs + replayPairs === 0 ? 1 : Math.round(((2 * both) / (livePairs + replayPairs)) * 10_000) / 10_000,
    },
    attached: { onlyLive: [...live.keys()].filter((k) => !replay.has(k)).length, onlyReplay: [...replay.keys()].filter((k) => !live.has(k)).length },
    splits,
    merges,
  };
}

/** The catalogue the replay correlates with: the live one, or the rules file's. */
async function catalogueOf(options: ReplayOptions): Promise<{ graph: ServiceGraph; services: number }> {
  if (options.catalogue === 'live') {
    const live = await listServices(options.source.db);
    return { graph: new ServiceGraph(live), services: live.length };
  }
  const services = [...options.config.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { graph: new ServiceGraph(services), services: services.length };
}

export interface LogFoldInput {
  config: CorrelationConfig;
  catalogue: ServiceGraph;
  /** Silences and maintenance windows, sorted by creation: each applies once it was created. */
  silences: readonly Silence[];
  housekeepingIntervalMs: number;
  /** The time of a last housekeeping pass, given the time of the last pass so far (absent: none). */
  until?(drainedAt: number): number;
  /** Told how many events were applied, after each arrival run. */
  progress?(applied: number): void;
  /** People's actions in the order they were made, each applied after the event it names (at its own time). */
  actions?: readonly RecordedAction[];
  onAction?(action: RecordedAction): void;
}

/**
 * Folds `events` (log order) over `state` as the live correlator's passes applied them: each
 * arrival run at its last arrival and followed by housekeeping, a housekeeping tick one
 * interval before an arrival that follows a longer pause, and a last housekeeping pass at
 * `until`. A person's action goes between the events it was made between, after a
 * housekeeping pass at its time. Every pass's changes go to `onChanges`, in order. Returns
 * the time of the last pass.
 */
export function foldLog(state: CorrelationState, events: readonly StoredAlertEvent[], input: LogFoldInput, onChanges: (changes: CorrelationChanges) => void): number {
  const { config, catalogue, silences } = input;
  const actions = input.actions ?? [];
  let admitted = 0;
  let drainedAt = -Infinity;
  let nextAction = 0;
  // Live, a silence only took effect once it was created.
  const silencesAt = (at: number): Silence[] => {
    while (admitted < silences.length && (silences[admitted] as Silence).createdAt <= at) admitted++;
    return silences.slice(0, admitted);
  };
  /** What the live correlator's pass at `at` did: apply what arrived, then housekeeping. */
  const pass = (at: number, arrived: readonly StoredAlertEvent[]) => {
    const admittedSilences = silencesAt(at);
    if (arrived.length > 0) {
      let earliest = at;
      for (const e of arrived) earliest = Math.min(earliest, e.startsAt);
      onChanges(applyEvents(state, arrived, { config, catalogue, silences: admittedSilences.filter((x) => x.endsAt > earliest - 1), now: at }));
    }
    onChanges(runHousekeeping(state, { config, catalogue, silences: admittedSilences.filter((x) => x.endsAt > at), now: at }));
    drainedAt = at;
  };
  /** The actions made before event `eventId` was applied. */
  const actionsBefore = (eventId: number) => {
    for (; nextAction < actions.length && (actions[nextAction] as RecordedAction).afterEventId < eventId; nextAction++) {
      const action = actions[nextAction] as RecordedAction;
      if (action.at > drainedAt) pass(action.at, []);
      input.onAction?.(action);
    }
  };
  for (const run of planArrivalRuns(events.map((e) => e.receivedAt), RUN_COALESCE_MS)) {
    actionsBefore((events[run.first] as StoredAlertEvent).id);
    if (run.startsAt - input.housekeepingIntervalMs > drainedAt) pass(run.startsAt - input.housekeepingIntervalMs, []);
    let from = run.first;
    for (let i = run.first + 1; i <= run.last; i++) {
      const id = (events[i] as StoredAlertEvent).id;
      if (nextAction >= actions.length || (actions[nextAction] as RecordedAction).afterEventId >= id) continue;
      pass(run.endsAt, events.slice(from, i));
      actionsBefore(id);
      from = i;
    }
    pass(run.endsAt, events.slice(from, run.last + 1));
    input.progress?.(run.last + 1);
  }
  actionsBefore(Infinity);
  if (input.until) pass(input.until(drainedAt), []);
  return drainedAt;
}

export async function replayAlertLog(options: ReplayOptions): Promise<ReplayResult> {
  const { source, from, to } = options;
  if (!(from < to)) throw new Error('the window is empty: from must be before to');
  const interval = options.config.correlation.housekeepingInterval;
  const { graph, services } = await catalogueOf(options);
  const config = correlatorSettings(options.config);
  // A silence that ended before the window cannot cover its alerts.
  const silences = (await silencesInEffect(source.db, from, to + OCCURRENCE_LOOKAHEAD_MS)).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const events = await readEvents(source, from, to);

  const started = performance.now();
  const state = new CorrelationState();
  const timeline: CorrelationChanges['timeline'][number][] = [];
  foldLog(state, events, { config, catalogue: graph, silences, housekeepingIntervalMs: interval, until: (drainedAt) => Math.max(drainedAt, to) }, (changes) => timeline.push(...changes.timeline));
  const correlateMs = performance.now() - started;

  const live = await episodeIncidents(source, from, to);
  const replay = replayedEpisodeIncidents(timeline, from, to);
  const compared = compareGroupings(live, replay);
  const liveIncidents = await incidentsById(source, [...compared.liveSize.keys()]);
  const liveRef = (id: number): IncidentRef => ({ id, title: liveIncidents.get(id)?.title ?? '', alerts: compared.liveSize.get(id) ?? 0 });
  const replayRef = (id: number): IncidentRef => ({ id, title: state.incident(id)?.title ?? '', alerts: compared.replaySize.get(id) ?? 0 });
  const differences: GroupingDifference[] = [
    ...compared.merges.map((m): GroupingDifference => ({ kind: 'merge', pairs: m.pairs, replay: replayRef(m.replay), live: m.live.map(([id, shared]) => ({ ...liveRef(id), shared })) })),
    ...compared.splits.map((s): GroupingDifference => ({ kind: 'split', pairs: s.pairs, live: liveRef(s.live), replay: s.replay.map(([id, shared]) => ({ ...replayRef(id), shared })) })),
  ];
  const idOf = (d: GroupingDifference) => (d.kind === 'merge' ? d.replay.id : d.live.id);
  differences.sort((a, b) => b.pairs - a.pairs || a.kind.localeCompare(b.kind) || idOf(a) - idOf(b));

  const episodes = new Set([...live.keys(), ...replay.keys()]).size;
  return {
    from,
    to,
    events: events.length,
    episodes,
    catalogue: { from: options.catalogue, services },
    silences: silences.length,
    live: sideOf(live),
    replay: sideOf(replay),
    pairs: compared.pairs,
    attached: compared.attached,
    differences,
    operatorActions: await countOperatorActions(source, [...compared.liveSize.keys()]),
    openedBeforeWindow: [...liveIncidents.values()].filter((i) => i.openedAt < from).length,
    correlateMs: Math.round(correlateMs),
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const quote = (title: string) => JSON.stringify(title.length > 60 ? `${title.slice(0, 57)}...` : title);

/** The readable report `sightline replay` prints. */
export function formatReplaySummary(result: ReplayResult, top = 10): string {
  const lines: string[] = [];
  lines.push(`Replay of ${iso(result.from)} → ${iso(result.to)}: ${result.events} alert events; ${result.episodes} alert episodes in an incident on either side`);
  const rate = result.correlateMs > 0 ? `, ${Math.round((result.events / result.correlateMs) * 1000)} events/s` : '';
  lines.push(`  correlated in memory in ${(result.correlateMs / 1000).toFixed(2)} s${rate}`);
  lines.push(
    `  catalogue: ${result.catalogue.from === 'live' ? 'the live one' : 'from the rules file'} (${result.catalogue.services} services); ${result.silences} silence(s) and maintenance window(s)`,
  );
  const row = (label: string, live: string | number, replay: string | number) => `  ${label.padEnd(22)}${String(live).padStart(8)}${String(replay).padStart(10)}`;
  lines.push(row('', 'live', 'replay'));
  lines.push(row('incidents', result.live.incidents, result.replay.incidents));
  lines.push(row('alerts in incidents', result.live.alerts, result.replay.alerts));
  lines.push(row('alerts per incident', result.live.compression.toFixed(2), result.replay.compression.toFixed(2)));
  const p = result.pairs;
  lines.push(`Pairs of alerts sharing an incident: ${p.both} in both, ${p.onlyLive} live only, ${p.onlyReplay} replay only (agreement ${(p.agreement * 100).toFixed(1)}%)`);
  if (result.attached.onlyLive || result.attached.onlyReplay) {
    lines.push(`Alerts in an incident on one side only: ${result.attached.onlyLive} live only, ${result.attached.onlyReplay} replay only (silenced, inhibited or stale on the other)`);
  }
  if (result.differences.length === 0 && result.live.digest === result.replay.digest) {
    lines.push('Same grouping as live: every alert shares its incident with the same alerts.');
  } else {
    const splits = result.differences.filter((d) => d.kind === 'split').length;
    const merges = result.differences.length - splits;
    lines.push(`Differences: ${splits} live incident(s) split, ${merges} replay incident(s) merging live ones${result.differences.length > top ? `; the ${top} largest:` : ':'}`);
    // The largest parts of each difference; the rest summed up.
    const parts = (side: string, list: readonly (IncidentRef & { shared: number })[]) => {
      const shown = list.slice(0, 3).map((r) => `${side} #${r.id} ${quote(r.title)} (${r.shared})`);
      const rest = list.slice(3);
      if (rest.length) shown.push(`${rest.length} more (${rest.reduce((n, r) => n + r.shared, 0)})`);
      return shown.join(', ');
    };
    for (const d of result.differences.slice(0, top)) {
      if (d.kind === 'split') lines.push(`  live #${d.live.id} ${quote(d.live.title)} (${d.live.alerts} alerts) splits into ${parts('replay', d.replay)}: ${d.pairs} pair(s) apart`);
      else lines.push(`  replay #${d.replay.id} ${quote(d.replay.title)} (${d.replay.alerts} alerts) merges ${parts('live', d.live)}: ${d.pairs} pair(s) joined`);
    }
  }
  if (result.openedBeforeWindow > 0) {
    lines.push(`Note: ${result.openedBeforeWindow} live incident(s) opened before the window, with alerts the replay does not see; start the window earlier to compare them fully.`);
  }
  if (result.operatorActions > 0) lines.push(`Note: ${result.operatorActions} operator action(s) (manual resolve, merge, split, …) on these live incidents are not replayed.`);
  return `${lines.join('\n')}\n`;
}
