/**
 * @module The database schema as kysely sees it. Columns are snake_case; times are
 * epoch milliseconds (UTC) in integer/bigint columns; JSON is stored as text so the
 * same queries run on SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** The durable, append-only log of everything senders told us. */
export interface AlertEventsTable {
  id: Generated<number>;
  source: string;
  fingerprint: string;
  status: string;
  starts_at: number;
  ends_at: number | null;
  received_at: number;
  labels: string;
  annotations: string;
  generator_url: string | null;
}

/** Earlier episodes of alerts that fired again (the current one is in `alerts`), for the SLA. */
export interface AlertPastEpisodesTable {
  source: string;
  fingerprint: string;
  starts_at: number;
  /** The resolve, else the last lease; null when neither was seen. */
  ends_at: number | null;
  /** 1 when the sender resolved it. */
  resolved: number;
}

/** An event the correlation engine could not apply, set aside with the error. */
/** One row, written by readiness checks while the database is unavailable. */
export interface WriteProbeTable {
  id: number;
  written_at: number;
}

export interface DeadLettersTable {
  event_id: number;
  source: string;
  fingerprint: string;
  status: string;
  received_at: number;
  error: string;
  set_aside_at: number;
}

/** One row (id 1): the id of the last log event the correlator applied. */
/** People's actions on incidents, in the order they were made (see migration 026). */
export interface IncidentActionsTable {
  id: Generated<number>;
  /** The correlator's cursor when the action was made: it follows that event and precedes the next. */
  after_event_id: number;
  at: number;
  actor: string;
  incident_id: number;
  /** The incident's grouping key then: a rebuild applies the action only to the same incident. */
  group_key: string;
  /** The action as JSON (`PersonAction`). */
  action: string;
}

export interface CorrelationCursorTable {
  id: number;
  applied_id: number;
}

/** Current state of each alert, keyed by (source, fingerprint). Written only by the correlator. */
export interface AlertsTable {
  id: Generated<number>;
  source: string;
  fingerprint: string;
  status: string;
  labels: string;
  annotations: string;
  title: string;
  severity: string;
  service: string | null;
  host: string | null;
  starts_at: number;
  ends_at: number | null;
  generator_url: string | null;
  occurrences: number;
  first_seen_at: number;
  last_seen_at: number;
  incident_id: number | null;
  acknowledged: number;
  /** 'sender' or 'lease' once resolved; null while firing. */
  resolved_by: string | null;
  /** The silence or maintenance window that keeps this alert out of incidents. */
  suppressed_by: string | null;
  flapping: number;
  /** JSON array of recent state-change times (event time). */
  flap_history: string | null;
}

export interface IncidentsTable {
  id: Generated<number>;
  title: string;
  status: string;
  priority: string;
  priority_overridden: number;
  impact: string;
  urgency: string;
  service: string | null;
  host: string | null;
  group_key: string;
  /** Event time of the earliest member alert's start. */
  opened_at: number;
  /** Event time of the latest member alert start or end; the join window counts from here. */
  last_activity_at: number;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  /** When all member alerts have resolved: the time after which the incident auto-resolves. */
  resolve_after: number | null;
  resolution: string | null;
  was_acknowledged: number;
  alert_count: number;
  firing_count: number;
  assignee: string | null;
  /** The most upstream affected service (topology). */
  root_cause_service: string | null;
  /** Space-separated masked title tokens, for the similarity layer. */
  masked_title: string | null;
}

export interface IncidentTimelineTable {
  id: Generated<number>;
  incident_id: number;
  at: number;
  kind: string;
  actor: string;
  message: string;
  data: string | null;
}

export interface AgentsTable {
  agent_id: string;
  host: string;
  version: string;
  interval_ms: number;
  status: string;
  first_seen_at: number;
  /** Server time of the latest heartbeat received. */
  last_heartbeat_at: number;
  /** Agent time the latest heartbeat was made (queued heartbeats arrive late). */
  last_sent_at: number;
  down_since: number | null;
  inventory: string | null;
  checks: string;
  firing_alerts: number;
}

export interface ServicesTable {
  name: string;
  tier: number;
  owner: string | null;
  depends_on: string;
  match: string;
  /** 'config' (the YAML file) or 'api'. */
  origin: string;
  updated_at: number;
  /** The SLA policy as its `sla` field, defaults spelled out (JSON); null when none. */
  sla: string | null;
  /** The longest span of its incidents (ms); null: the configured default (migration 031). */
  max_incident_span: number | string | null;
}

export interface ConfigurationItemsTable {
  kind: string;
  name: string;
  first_seen_at: number;
  last_seen_at: number;
  seen_by: string;
}

export interface IncidentServicesTable {
  incident_id: number;
  service: string;
}

export interface IncidentHostsTable {
  incident_id: number;
  host: string;
}

export interface SilencesTable {
  id: string;
  kind: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
}

export interface Database {
  silences: SilencesTable;
  services: ServicesTable;
  configuration_items: ConfigurationItemsTable;
  incident_services: IncidentServicesTable;
  incident_hosts: IncidentHostsTable;
  agents: AgentsTable;
  api_tokens: ApiTokensTable;
  alert_events: AlertEventsTable;
  alert_past_episodes: AlertPastEpisodesTable;
  correlation_cursor: CorrelationCursorTable;
  dead_letters: DeadLettersTable;
  incident_actions: IncidentActionsTable;
  alerts: AlertsTable;
  incidents: IncidentsTable;
  incident_timeline: IncidentTimelineTable;
  notification_outbox: NotificationOutboxTable;
  notification_cursor: NotificationCursorTable;
  capacity_rollups: CapacityRollupsTable;
  capacity_counters: CapacityCountersTable;
  ui_sessions: UiSessionsTable;
  leader_lease: LeaderLeaseTable;
  problem_models: ProblemModelsTable;
  problem_candidates: ProblemCandidatesTable;
  problem_candidate_members: ProblemCandidateMembersTable;
  problems: ProblemsTable;
  problem_incidents: ProblemIncidentsTable;
  problem_timeline: ProblemTimelineTable;
  known_error_matches: KnownErrorMatchesTable;
  sla_check_states: SlaCheckStatesTable;
  sla_target_notices: SlaTargetNoticesTable;
  sla_signals: SlaSignalsTable;
  sla_signal_incidents: SlaSignalIncidentsTable;
  correlation_inputs: CorrelationInputsTable;
  write_probe: WriteProbeTable;
  changes: ChangesTable;
  oncall_users: OnCallUsersTable;
  oncall_schedules: OnCallSchedulesTable;
  oncall_overrides: OnCallOverridesTable;
  recurring_silences: RecurringSilencesTable;
}

export interface OnCallUsersTable {
  name: string;
  email: string | null;
  slack: string | null;
  teams: string | null;
  time_zone: string;
  updated_at: number;
}

/** A schedule's definition as written (`ScheduleEntry`), as JSON. */
export interface OnCallSchedulesTable {
  name: string;
  definition: string;
  updated_at: number;
}

export interface OnCallOverridesTable {
  id: Generated<number>;
  schedule: string;
  user_name: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  created_at: number;
}

/** A recurring silence or maintenance window (matchers as JSON; see migration 028). */
export interface RecurringSilencesTable {
  id: string;
  name: string;
  kind: string;
  matchers: string;
  schedule: string;
  time_zone: string;
  duration_ms: number;
  starts_at: number;
  ends_at: number | null;
  /** `api` or `config`. */
  origin: string;
  created_by: string;
  comment: string;
  created_at: number;
}

/** A change on a service as reported (links and labels as JSON). */
export interface ChangesTable {
  id: Generated<number>;
  service: string;
  summary: string;
  kind: string;
  started_at: number;
  finished_at: number | null;
  version: string | null;
  author: string | null;
  links: string;
  labels: string;
  source: string;
  received_at: number;
}

/** One row (id 1): how many times people changed what the correlator keeps in memory. */
export interface CorrelationInputsTable {
  id: number;
  version: number;
}

/** A web UI session: the hash of its id (never the id itself) and the token it was opened with. */
export interface UiSessionsTable {
  id_hash: string;
  token_id: string;
  name: string;
  scopes: string;
  created_at: number;
  expires_at: number;
}

/** One notification of one incident event to one webhook, and how its delivery went. */
export interface NotificationOutboxTable {
  id: Generated<number>;
  /**
   * `<webhook>:<timeline id>` (`<webhook>:sla_burn:<signal id>` for an SLA signal): sent as
   * `Idempotency-Key`, and keeps the outbox free of doubles.
   */
  idempotency_key: string;
  webhook: string;
  /** 0 for a notification about a service rather than an incident (an SLA burn signal). */
  incident_id: number;
  /** 0 when the notification does not come from the timeline (an SLA burn signal). */
  timeline_id: number;
  event: string;
  /** Event time of the timeline entry. */
  at: number;
  /** The exact body sent (JSON), rendered once so every retry sends the same bytes. */
  payload: string;
  /** 'pending', 'delivered' or 'failed'. */
  state: string;
  attempts: number;
  /** While pending: when the next attempt is due (a claimed row is pushed past its timeout). */
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

/** How far the dispatcher has read the incident timeline; `gaps` is a JSON list of unfilled id ranges. */
export interface NotificationCursorTable {
  name: string;
  position: number;
  gaps: string;
  updated_at: number;
}

/** One bucket of one capacity series; avg = sum / count. `mountpoint` is '' except for filesystems. */
export interface CapacityRollupsTable {
  host: string;
  resource: string;
  mountpoint: string;
  /** '5m' or '1h'. */
  resolution: string;
  bucket_start: number;
  sum: number;
  count: number;
  max: number;
}

/** The latest cumulative counter reading per host and counter (CPU time, network bytes). */
export interface CapacityCountersTable {
  host: string;
  name: string;
  at: number;
  value: number;
}

/** One row per lease: who leads, until when, and the fencing epoch (+1 at every change of holder). */
export interface LeaderLeaseTable {
  name: string;
  /** Null after the holder released it. */
  holder: string | null;
  epoch: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
}

/** A fitted TF-IDF model (JSON), frozen until the next refit; the latest `fitted_at` is in use. */
export interface ProblemModelsTable {
  version: string;
  model: string;
  fitted_at: number;
}

/** A cluster of recurring incidents; JSON arrays in `signatures`, `services`, `hosts`, `top_terms`, `centroid`. */
export interface ProblemCandidatesTable {
  id: string;
  name: string;
  alertname: string;
  example_title: string;
  signatures: string;
  member_count: number;
  first_seen: number;
  last_seen: number;
  recurrence_per_week: number;
  services: string;
  hosts: string;
  total_downtime_ms: number;
  /** Ranking score and its inputs (JSON `CandidateImpact`), see migration 024. */
  impact_score: Generated<number>;
  impact: Generated<string>;
  /** JSON `CandidateFeature[]`: the centroid's heaviest terms, see migration 030. */
  features: Generated<string>;
  mttr_ms: number | null;
  cohesion: number;
  radius: number;
  badge: string;
  top_terms: string;
  centroid: string;
  model_version: string;
  active: number;
  /** 'new', 'under_review', 'promoted' or 'dismissed'. */
  state: string;
  state_changed_at: number;
  state_changed_by: string;
  /** Why the reviewer chose the state, if they said. */
  state_note: string | null;
  problem_id: number | null;
  created_at: number;
  refreshed_at: number;
}

export interface ProblemCandidateMembersTable {
  candidate_id: string;
  incident_id: number;
}

/** An ITIL problem; status 'open', 'known_error' or 'resolved'. */
export interface ProblemsTable {
  id: Generated<number>;
  title: string;
  status: string;
  root_cause: string | null;
  workaround: string | null;
  owner: string | null;
  candidate_id: string | null;
  created_at: number;
  updated_at: number;
  known_error_at: number | null;
  resolved_at: number | null;
  /** The change that fixed it (migration 029). */
  fix_change_id: number | null;
  /** When a recurrence after that change showed the fix did not hold. */
  fix_failed_at: number | null;
}

export interface ProblemIncidentsTable {
  problem_id: number;
  incident_id: number;
  linked_at: number;
  /** 'promotion', 'refresh', 'recognition' or the person who linked it. */
  linked_by: string;
}

export interface ProblemTimelineTable {
  id: Generated<number>;
  problem_id: number;
  at: number;
  kind: string;
  actor: string;
  message: string;
  data: string | null;
}

export interface KnownErrorMatchesTable {
  incident_id: number;
  problem_id: number;
  candidate_id: string;
  similarity: number;
  matched_at: number;
}

/** One state of one availability check of one agent, from the first run that gave it (agent time). */
export interface SlaCheckStatesTable {
  agent_id: string;
  check_name: string;
  since: number;
  /** 1 = the check passed, 0 = it failed. */
  success: number;
  service: string | null;
  host: string;
  /** Agent time of the latest heartbeat that reported this state. */
  last_reported_at: number;
  /** The agent's heartbeat interval when it last reported this state. */
  interval_ms: number;
}

/** One burn-rate episode of a service's error budget (an SLA signal); `ended_at` null while it burns. */
export interface SlaSignalsTable {
  id: Generated<number>;
  service: string;
  /** 'burn'. */
  kind: string;
  /** 'page' (fast burn) or 'ticket' (slow burn). */
  severity: string;
  started_at: number;
  ended_at: number | null;
  message: string;
  /** JSON: windows, burn rates, threshold and budget spent when the episode began. */
  data: string;
}

/** An incident whose downtime burned the budget during a signal's episode. */
export interface SlaSignalIncidentsTable {
  signal_id: number;
  incident_id: number;
}

/** A response/resolution warning or breach already written to an incident's timeline. */
export interface SlaTargetNoticesTable {
  incident_id: number;
  /** 'response' or 'resolution'. */
  target: string;
  /** '75', '90' or 'breached'. */
  level: string;
  at: number;
}
