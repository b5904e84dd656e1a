/**
 * @module `sightline replay --rebuild`: recomputes the derived state (alert state and past
 * episodes, incidents, their services and hosts, the correlator's timeline entries, hosts
 * seen) from the alert event log, in one transaction, and leaves the correlator's cursor at
 * the end of what it applied. A crash or an error rolls it back whole: the database is as
 * before, and the command can simply be run again.
 *
 * The log is folded through the same pure engine as live (`correlate/engine.ts`), in log order,
 * with the passes the live correlator made (`foldLog`: each arrival run at its arrival time,
 * followed by housekeeping), the silences as they were created, and today's service catalogue.
 * Processing-time bookkeeping (an incident's created/updated times, a resolved alert's last
 * sighting) takes the events' arrival times instead of the moment the live correlator ran.
 *
 * People's lifecycle actions, notes and edits are recorded in a log of their own
 * (`incident_actions`) with the alert log position they were made at, and applied again at that
 * position through the same pure function as live (`correlate/people.ts`). Merges and splits,
 * and actions made before that log existed, are not recorded: a rebuild would lose them, so it
 * refuses while there are any unless told to discard them. Entries of other jobs on the
 * timeline (SLA notices, known-error matches) stay.
 */
import type { ServerConfig } from './config.js';
import { CorrelationState } from './correlate/state.js';
import { ServiceGraph } from './correlate/topology.js';
import type { StoredAlertEvent } from './domain/alert.js';
import type { TimelineEntry } from './domain/incident.js';
import { fail, ok, type Result } from './domain/result.js';
import { advanceLogCursor, committedHorizon, readLogCursor, storedEvent } from './db/alert-events-repo.js';
import { insertAlerts, recordPastEpisodes } from './db/alerts-repo.js';
import type { DatabaseHandle } from './db/connection.js';
import { noteCorrelationInput } from './db/correlation-inputs-repo.js';
import { addIncidentMembership, insertIncidentsWithIds } from './db/incidents-repo.js';
import { claimLease, releaseLease } from './db/leader-lease-repo.js';
import {
  advanceSequences,
  clearDerivedState,
  countLog,
  deadLetterIds,
  dropOrphanEntries,
  entriesNotBySightline,
  insertTimelineWithIds,
  logCoverage,
  logPage,
  maxTimelineId,
  moveNotificationCursors,
} from './db/rebuild-repo.js';
import { listServices, recordConfigurationItems } from './db/services-repo.js';
import { OCCURRENCE_LOOKAHEAD_MS, silencesInEffect } from './services/recurring-silences.js';
import { foldLog } from './replay.js';
import { applyPersonAction } from './correlate/people.js';
import { allIncidentActions } from './db/incident-actions-repo.js';
import { correlatorSettings } from './services/correlator.js';
import { LEADER_LEASE } from './services/leadership.js';

/** Timeline kinds the correlator and people's actions write: the rebuild replaces them. */
export const REBUILT_KINDS: readonly string[] = [
  'opened',
  'alert_joined',
  'alert_resolved',
  'service_reached',
  'root_cause',
  'flapping',
  'inhibited',
  'silenced',
  'merged',
  'reopened',
  'reopened_flapping',
  'follows',
  'followed_by',
  'updated',
  'open',
  'acknowledged',
  'on_hold',
  'resolved',
  'closed',
  'cancelled',
  'note',
  'split',
];

/**
 * True for a timeline entry a person's action wrote.
 * The correlator writes under other names than its own only what the log holds: a sender's
 * acknowledgement (no data) and a silence's author on `silenced`.
 */
export function isPersonsAction(entry: { kind: string; actor: string; data: string | null }): boolean {
  if (entry.actor === 'sightline' || !REBUILT_KINDS.includes(entry.kind)) return false;
  if (entry.kind === 'silenced') return false;
  if (entry.kind === 'acknowledged' && entry.data === null) return false;
  return true;
}

/**
 * People's actions the log of actions does not hold: merges and splits (counted once each, by
 * their entry on the incident merged away or split), and, when the timeline holds more entries
 * of people's other actions than that log has actions, the older ones made before it existed.
 */
export function unrecordedActions(entries: readonly { kind: string; data: string | null }[], recorded: number): { merges: number; splits: number; older: number } {
  let merges = 0;
  let splits = 0;
  let others = 0;
  for (const e of entries) {
    if (e.kind === 'merged') merges += e.data?.includes('"into"') ? 1 : 0;
    else if (e.kind === 'split') splits++;
    else if (e.kind !== 'opened') others++;
  }
  return { merges, splits, older: Math.max(0, others - recorded) };
}

export interface RebuildOptions {
  handle: DatabaseHandle;
  config: Readonly<ServerConfig>;
  /** Wall-clock time, for the bookkeeping of this run only (hosts seen, cursors). */
  now(): number;
  /** The name this run holds the leader lease under (PostgreSQL). */
  holder: string;
  /** Rebuild even though people's actions exist, dropping them. */
  discardActions: boolean;
  progress(line: string): void;
}

export interface RebuildResult {
  events: number;
  /** Events skipped because the correlator set them aside (dead letters). */
  skipped: number;
  alerts: number;
  incidents: number;
  timeline: number;
  pastEpisodes: number;
  /** People's actions applied again from their log. */
  actions: number;
  /** Recorded actions that no longer applied (their incident gone, another one under its id, or in another status). */
  skippedActions: number;
  /** People's actions not in their log (merges, splits, older ones), dropped with `discardActions`. */
  discardedActions: number;
  /** Where the correlator's cursor stands afterwards. */
  cursor: number;
  readMs: number;
  correlateMs: number;
  writeMs: number;
}

const READ_PAGE = 5000;

/** A reason to change nothing: thrown inside the transaction so that it rolls back (the lease claim too). */
class Refused extends Error {}

export async function rebuildDerivedState(options: RebuildOptions): Promise<Result<RebuildResult>> {
  try {
    return ok(await rebuildInOneTransaction(options));
  } catch (error) {
    if (error instanceof Refused) return fail('CONFLICT', error.message);
    throw error;
  }
}

async function rebuildInOneTransaction(options: RebuildOptions): Promise<RebuildResult> {
  const { handle, config, progress } = options;
  const postgres = handle.dialect === 'postgres';
  // PostgreSQL: replicas may still append; read only what every append in flight has committed.
  const horizon = postgres ? await committedHorizon(handle.db) : null;
  return handle.db.transaction().execute(async (trx): Promise<RebuildResult> => {
    let leaseEpoch: number | null = null;
    if (postgres) {
      // Taking the lease locks its row until the commit: no replica leads (or can take over) meanwhile.
      const lease = await claimLease(trx, handle.dialect, LEADER_LEASE, options.holder, config.cluster.leaseTtl, null);
      if (!lease) throw new Refused('a Sightline replica holds the leader lease (see GET /api/v1/cluster): stop every replica first, then rebuild');
      leaseEpoch = lease.epoch;
    }
    // First: people's actions (on other replicas) wait for this transaction, and any made before are seen.
    await noteCorrelationInput(trx);
    const recorded = await allIncidentActions(trx);
    const unrecorded = unrecordedActions((await entriesNotBySightline(trx)).filter(isPersonsAction), recorded.length);
    const lost = unrecorded.merges + unrecorded.splits + unrecorded.older;
    if (lost > 0 && !options.discardActions) {
      const parts = [unrecorded.merges && `${unrecorded.merges} merge(s)`, unrecorded.splits && `${unrecorded.splits} split(s)`, unrecorded.older && `${unrecorded.older} made before actions were recorded`].filter(Boolean);
      throw new Refused(`${lost} people's action(s) on incidents (${parts.join(', ')}) are not in the log of actions and would be lost; nothing was changed (give --discard-actions to rebuild without them)`);
    }
    const coverage = await logCoverage(trx);
    if (coverage.alerts > 0 && coverage.firstSeen !== null && (coverage.firstLogged === null || coverage.firstSeen < coverage.firstLogged)) {
      const since = coverage.firstLogged === null ? 'the log is empty' : `the log begins at ${new Date(coverage.firstLogged).toISOString()}`;
      throw new Refused(`alerts were first seen at ${new Date(coverage.firstSeen).toISOString()} but ${since} (correlation.logRetention removed older events): a rebuild would lose them; nothing was changed`);
    }

    // Read the log.
    const readStarted = performance.now();
    const total = await countLog(trx, horizon);
    const setAside = await deadLetterIds(trx);
    progress(`reading ${total} alert events from the log`);
    const events: StoredAlertEvent[] = [];
    let lastId = 0;
    let skipped = 0;
    for (;;) {
      const rows = await logPage(trx, lastId, horizon, READ_PAGE);
      for (const row of rows) {
        const event = storedEvent(row);
        lastId = event.id;
        // Live, the correlator set it aside and went on without it.
        if (setAside.has(event.id)) skipped++;
        else events.push(event);
      }
      if (rows.length < READ_PAGE) break;
    }
    const readMs = performance.now() - readStarted;

    // Fold it through the engine.
    const correlateStarted = performance.now();
    const state = new CorrelationState();
    const timeline: Omit<TimelineEntry, 'id'>[] = [];
    const pastEpisodes: { source: string; fingerprint: string; startsAt: number; endsAt: number | null; resolved: boolean }[] = [];
    const seenHosts = new Set<string>();
    const silences = (await silencesInEffect(trx, Number.MIN_SAFE_INTEGER, options.now() + OCCURRENCE_LOOKAHEAD_MS)).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const catalogue = new ServiceGraph(await listServices(trx));
    let reported = 0;
    let skippedActions = 0;
    foldLog(
      state,
      events,
      {
        config: correlatorSettings(config),
        catalogue,
        silences,
        housekeepingIntervalMs: config.correlation.housekeepingInterval,
        actions: recorded,
        onAction(recordedAction) {
          const found = state.incident(recordedAction.incidentId);
          // Another incident under that id (the rebuild numbered incidents differently): not this one's action.
          const incident = found?.groupKey === recordedAction.groupKey ? found : null;
          const applied = incident ? applyPersonAction(incident, recordedAction.action, recordedAction.actor, recordedAction.at) : null;
          if (!incident || !applied?.ok) {
            skippedActions++;
            return;
          }
          state.noteIncident(incident);
          if (recordedAction.actor !== 'sightline') state.touchedByPeople.add(incident.id);
          if (applied.value.entry) timeline.push(applied.value.entry);
        },
        progress(applied) {
          if (applied - reported < Math.max(10_000, events.length / 10) && applied < events.length) return;
          reported = applied;
          const seconds = (performance.now() - correlateStarted) / 1000;
          progress(`correlated ${applied}/${events.length} events (${seconds > 0 ? Math.round(applied / seconds) : applied} events/s)`);
        },
      },
      (changes) => {
        timeline.push(...changes.timeline);
        pastEpisodes.push(...changes.pastEpisodes);
        for (const host of changes.seenHosts) seenHosts.add(host);
      },
    );
    const correlateMs = performance.now() - correlateStarted;

    // Replace the derived tables.
    const writeStarted = performance.now();
    const now = options.now();
    const firstTimelineId = (await maxTimelineId(trx)) + 1;
    await clearDerivedState(trx, REBUILT_KINDS);
    const incidents = [...state.incidents.values()].sort((a, b) => a.id - b.id);
    const alerts = [...state.alerts.values()].sort((a, b) => a.id - b.id);
    await insertIncidentsWithIds(trx, incidents);
    await insertAlerts(trx, alerts);
    const services: { incidentId: number; service: string }[] = [];
    const hosts: { incidentId: number; host: string }[] = [];
    for (const incident of incidents) {
      for (const service of [...state.servicesOf(incident.id)].sort()) services.push({ incidentId: incident.id, service });
      for (const host of state.hostsOf(incident.id)) hosts.push({ incidentId: incident.id, host });
    }
    await addIncidentMembership(trx, services, hosts);
    await insertTimelineWithIds(trx, timeline, firstTimelineId);
    await dropOrphanEntries(trx);
    await recordPastEpisodes(trx, pastEpisodes);
    await recordConfigurationItems(trx, 'host', [...seenHosts].sort(), 'alerts', now);
    await moveNotificationCursors(trx, firstTimelineId + timeline.length - 1, now);
    await advanceSequences(trx, handle.dialect);
    // Events after the horizon (PostgreSQL) wait for the correlator as before.
    const cursor = Math.max(lastId, (await readLogCursor(trx)).id);
    await advanceLogCursor(trx, { id: cursor });
    if (leaseEpoch !== null) await releaseLease(trx, handle.dialect, LEADER_LEASE, options.holder, leaseEpoch);
    const writeMs = performance.now() - writeStarted;
    progress(`wrote ${alerts.length} alerts, ${incidents.length} incidents, ${timeline.length} timeline entries`);
    return {
      events: events.length,
      skipped,
      alerts: alerts.length,
      incidents: incidents.length,
      timeline: timeline.length,
      pastEpisodes: new Set(pastEpisodes.map((e) => `${e.source}\u0000${e.fingerprint}\u0000${e.startsAt}`)).size,
      actions: recorded.length - skippedActions,
      skippedActions,
      discardedActions: lost,
      cursor,
      readMs: Math.round(readMs),
      correlateMs: Math.round(correlateMs),
      writeMs: Math.round(writeMs),
    };
  });
}
