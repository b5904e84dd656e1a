/** @module Incidents: the live list with filters and counts, and one incident with its alerts, timeline, SLA clocks and actions. */
import type { FC } from 'hono/jsx';
import { allowedActions, INCIDENT_STATUSES, PRIORITIES, type IncidentAction, type IncidentStatus, type Priority } from '../../domain/incident.js';
import type { AlertRecord } from '../../db/alerts-repo.js';
import type { IncidentRecord, TimelineEntry } from '../../db/incidents-repo.js';
import type { CorrelationLag } from '../../services/incident-board.js';
import type { IncidentSla } from '../../services/sla-targets.js';
import type { FiringAlertRef, Paged } from '../../services/incidents.js';
import type { IncidentKnownError, SimilarIncidents } from '../../services/problems.js';
import type { IncidentSignal } from '../../services/sla-signals.js';
import type { TargetEvaluation } from '../../sla/targets.js';
import { formatAgo, formatDuration, formatTime, isoTime } from '../format.js';
import { Csrf } from '../layout.js';
import type { UiContext } from '../context.js';

export interface IncidentListFilter {
  /** 'active' (open, acknowledged, on hold), 'all', or one status. */
  status: 'active' | 'all' | IncidentStatus;
  priority: Priority | null;
  service: string | null;
  /** Search words (see the list API's `q`), as typed. */
  q: string | null;
  /** Opened in [since, until) (epoch ms), each bound optional. */
  since: number | null;
  until: number | null;
  /** Keyset cursor: only incidents older than the page it came from. */
  cursor: string | null;
}

/** A time as a `datetime-local` field holds it, in UTC: 2026-11-21T04:00. */
export const minuteField = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 16));

export const StatusBadge: FC<{ status: string }> = ({ status }) => <span class={`status ${status}`}>{status.replace('_', ' ')}</span>;
export const PriorityBadge: FC<{ priority: string }> = ({ priority }) => <span class={`badge ${priority}`}>{priority}</span>;

/** How long ago `at` was, with the exact time on hover. */
export const Ago: FC<{ at: number; now: number }> = ({ at, now }) => (
  <time datetime={isoTime(at)} title={formatTime(at)}>
    {formatAgo(at, now)}
  </time>
);

/** The first cells of an incident's row in any incident table: number, priority, status and title (with a note under it). */
export const IncidentCells: FC<{ incident: { id: number; priority: string; status: string; title: string }; children?: unknown }> = ({ incident: i, children }) => (
  <>
    <td>
      <a href={`/ui/incidents/${i.id}`}>{i.id}</a>
    </td>
    <td>
      <PriorityBadge priority={i.priority} />
    </td>
    <td>
      <StatusBadge status={i.status} />
    </td>
    <td>
      <a href={`/ui/incidents/${i.id}`}>{i.title}</a>
      {children}
    </td>
  </>
);

export function filterQuery(f: IncidentListFilter): string {
  const q = new URLSearchParams();
  if (f.status !== 'active') q.set('status', f.status);
  if (f.priority) q.set('priority', f.priority);
  if (f.service) q.set('service', f.service);
  if (f.q) q.set('q', f.q);
  if (f.since !== null) q.set('from', minuteField(f.since));
  if (f.until !== null) q.set('to', minuteField(f.until));
  if (f.cursor) q.set('cursor', f.cursor);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const IncidentFilters: FC<{ filter: IncidentListFilter; services: string[] }> = ({ filter, services }) => (
  <form class="filters" method="get" action="/ui/incidents" aria-label="Filter incidents">
    <label>
      Status
      <select name="status">
        {['active', 'all', ...INCIDENT_STATUSES].map((s) => (
          <option value={s} selected={filter.status === s}>
            {s.replace('_', ' ')}
          </option>
        ))}
      </select>
    </label>
    <label>
      Priority
      <select name="priority">
        <option value="">any</option>
        {PRIORITIES.map((p) => (
          <option value={p} selected={filter.priority === p}>
            {p}
          </option>
        ))}
      </select>
    </label>
    <label>
      Service
      <select name="service">
        <option value="">any</option>
        {[...new Set([...services, ...(filter.service ? [filter.service] : [])])].map((s) => (
          <option value={s} selected={filter.service === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <label class="grow">
      Search
      <input type="search" name="q" value={filter.q ?? ''} maxlength={200} placeholder="title, service, host, label or name=value" />
    </label>
    <label>
      Opened from (UTC)
      <input type="datetime-local" name="from" value={minuteField(filter.since)} />
    </label>
    <label>
      to (UTC)
      <input type="datetime-local" name="to" value={minuteField(filter.until)} />
    </label>
    <button type="submit">Apply</button>
    <a href="/ui/incidents">Reset</a>
  </form>
);

/** The part of the list page that refreshes itself: counts and rows. */
export const IncidentLive: FC<{ filter: IncidentListFilter; items: IncidentRecord[]; counts: Map<Priority, number>; now: number; nextCursor: string | null; lag?: CorrelationLag | null }> = ({
  filter,
  items,
  counts,
  now,
  nextCursor,
  lag = null,
}) => {
  const more = nextCursor !== null;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return (
    <>
      {lag ? (
        <p class="warn" role="status" data-lag={lag.pending}>
          Correlation is catching up: {lag.pending.toLocaleString('en')} received alert{lag.pending === 1 ? ' is' : 's are'} not in incidents yet (the oldest arrived {formatAgo(lag.oldestReceivedAt, now)}).
        </p>
      ) : null}
      <ul class="counts" aria-label="Active incidents by priority">
        <li>
          Active<strong data-count="active">{total}</strong>
        </li>
        {PRIORITIES.map((p) => (
          <li>
            <PriorityBadge priority={p} />
            <strong data-count={p}>{counts.get(p) ?? 0}</strong>
          </li>
        ))}
      </ul>
      <table>
        <caption class="small muted">
          {items.length === 0 ? 'No incidents match these filters.' : `${items.length}${more ? '+' : ''} incident(s), newest first`}
          {filter.cursor ? (
            <>
              {' · '}
              <a href={`/ui/incidents${filterQuery({ ...filter, cursor: null })}`}>newest</a>
            </>
          ) : null}
          {more ? (
            <>
              {' · '}
              <a href={`/ui/incidents${filterQuery({ ...filter, cursor: nextCursor })}`}>older incidents</a>
            </>
          ) : null}
        </caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Priority</th>
            <th scope="col">Status</th>
            <th scope="col">Title</th>
            <th scope="col">Service</th>
            <th scope="col">Host</th>
            <th scope="col" class="num">Alerts</th>
            <th scope="col">Opened</th>
            <th scope="col">Last activity</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr class={i.priority} data-incident={String(i.id)}>
              <IncidentCells incident={i}>
                {i.rootCauseService && i.rootCauseService !== i.service ? <div class="small muted">root cause candidate: {i.rootCauseService}</div> : null}
              </IncidentCells>
              <td>{i.service ?? '—'}</td>
              <td>{i.host ?? '—'}</td>
              <td class="num">
                {i.firingCount}/{i.alertCount}
              </td>
              <td>
                <Ago at={i.openedAt} now={now} />
              </td>
              <td>
                <Ago at={i.lastActivityAt} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};

export const IncidentList: FC<{ filter: IncidentListFilter; services: string[]; items: IncidentRecord[]; counts: Map<Priority, number>; now: number; nextCursor: string | null; lag?: CorrelationLag | null }> = (p) => (
  <>
    <h1>Incidents</h1>
    <IncidentFilters filter={p.filter} services={p.services} />
    <p class="small muted" id="live-status" role="status">
      Refreshes every 5 seconds.
    </p>
    <div data-live={`/ui/incidents/live${filterQuery(p.filter)}`} data-interval="5000">
      <IncidentLive filter={p.filter} items={p.items} counts={p.counts} now={p.now} nextCursor={p.nextCursor} lag={p.lag} />
    </div>
  </>
);

interface JoinReason {
  method: string;
  score: number | null;
  why: string;
  evidence: unknown;
}

/** Why each alert joined: the `opened` / `alert_joined` timeline entry that names its fingerprint. */
export function joinReasons(timeline: readonly TimelineEntry[]): Map<string, JoinReason> {
  const reasons = new Map<string, JoinReason>();
  for (const t of timeline) {
    if (t.kind !== 'opened' && t.kind !== 'alert_joined') continue;
    const d = (t.data ?? {}) as { source?: string; fingerprint?: string; method?: string; score?: number; evidence?: unknown };
    if (!d.source || !d.fingerprint) continue;
    const key = `${d.source}\u0000${d.fingerprint}`;
    if (reasons.has(key)) continue;
    reasons.set(key, { method: d.method ?? 'unknown', score: typeof d.score === 'number' ? d.score : null, why: t.message, evidence: d.evidence ?? (d.method === 'new' ? null : undefined) });
  }
  return reasons;
}

const ACTION_LABELS: Record<IncidentAction, string> = {
  acknowledge: 'Acknowledge',
  hold: 'Put on hold',
  resume: 'Resume',
  resolve: 'Resolve',
  reopen: 'Reopen',
  close: 'Close',
  cancel: 'Cancel incident',
};

const TargetRow: FC<{ name: string; target: TargetEvaluation | null; now: number }> = ({ name, target, now }) => {
  if (!target) {
    return (
      <tr>
        <th scope="row">{name}</th>
        <td colspan={3} class="muted">
          no target for this priority
        </td>
      </tr>
    );
  }
  const cls = target.state === 'breached' ? 'bad' : target.state === 'ok' ? 'ok' : 'warn';
  const state = target.met === true ? 'met' : target.met === false ? 'missed' : target.paused ? 'paused (on hold)' : target.state.replace('-', ' at ') + (target.state.startsWith('warning') ? ' %' : '');
  return (
    <tr>
      <th scope="row">{name}</th>
      <td class={cls}>{state}</td>
      <td class="num">{Math.round(target.percentElapsed)} % used</td>
      <td>{target.dueAt === null ? 'clock stopped' : target.met === null ? `due ${formatTime(target.dueAt)} (${formatAgo(target.dueAt, now)})` : `was due ${formatTime(target.dueAt)}`}</td>
    </tr>
  );
};

export interface IncidentDetailProps {
  ui: UiContext;
  incident: IncidentRecord;
  /** One page of the alerts in start order, and one of the timeline, newest first. */
  alerts: Paged<AlertRecord>;
  timeline: Paged<TimelineEntry>;
  /** The `opened` / `alert_joined` entries of the alerts on the page: why each joined. */
  joins: readonly TimelineEntry[];
  /** The cursors of the pages shown (null: the first page), kept in the links of the other list. */
  cursors?: { alerts: string | null; timeline: string | null };
  /** The incident's targets as the API computes them; null when none is agreed for it. */
  timers: IncidentSla | null;
  /** Burn-rate episodes its downtime burned into, and its own target warnings (notifications, not alerts). */
  slaSignals?: readonly IncidentSignal[];
  knownError?: IncidentKnownError | null;
  similar?: SimilarIncidents | null;
  now: number;
  /** A resolve was refused because alerts still fire: ask whether to resolve anyway. */
  confirmResolve?: ResolveConfirmation | null;
}

/** The alerts a refused resolve named, and how many fire in all. */
export interface ResolveConfirmation {
  firingCount: number;
  firing: readonly FiringAlertRef[];
}

/** The confirm step of a resolve while alerts still fire: resolving anyway hides them until one is sent again. */
const ConfirmResolve: FC<{ ui: UiContext; incidentId: number; confirm: ResolveConfirmation }> = ({ ui, incidentId, confirm }) => (
  <section class="card" aria-labelledby="confirm-resolve" data-confirm="resolve">
    <h2 id="confirm-resolve">Resolve while {confirm.firingCount} alert(s) still fire?</h2>
    <ul>
      {confirm.firing.map((a) => (
        <li>
          {a.title}
          {a.service ? ` (${a.service})` : ''}
        </li>
      ))}
      {confirm.firingCount > confirm.firing.length ? <li class="muted">… and {confirm.firingCount - confirm.firing.length} more</li> : null}
    </ul>
    <p class="small muted">The timeline will say they still fired. When one of them is sent again still firing, or fires again, the incident reopens.</p>
    <div class="actions">
      <form method="post" action={`/ui/incidents/${incidentId}/actions/resolve`}>
        <Csrf ui={ui} />
        <input type="hidden" name="force" value="1" />
        <button type="submit" class="danger" data-action="resolve-anyway">
          Resolve anyway
        </button>
      </form>
      <a href={`/ui/incidents/${incidentId}`}>Keep it open</a>
    </div>
  </section>
);

const ProblemContext: FC<{ knownError: IncidentKnownError | null; similar: SimilarIncidents | null; now: number }> = ({ knownError, similar, now }) => (
  <>
    {knownError ? (
      <section class="card known-error" aria-labelledby="known-error">
        <h2 id="known-error">Known error</h2>
        <p>
          Recognised as <a href={`/ui/problems/${knownError.problem.id}`}>#{knownError.problem.id} {knownError.problem.title}</a> (similarity {knownError.similarity.toFixed(2)}).
        </p>
        <p>
          <strong>Workaround:</strong>
        </p>
        <pre>{knownError.problem.workaround ?? '(none recorded)'}</pre>
      </section>
    ) : null}
    {similar && similar.incidents.length > 0 ? (
      <section class="card" aria-labelledby="similar">
        <h2 id="similar">Similar past incidents</h2>
        <p class="small muted">
          Through problem candidate{similar.candidates.length > 1 ? 's' : ''}{' '}
          {similar.candidates.map((c, i) => (
            <>
              {i > 0 ? ', ' : ''}
              <a href={`/ui/problems/candidates/${encodeURIComponent(c.id)}`}>{c.name}</a>
              {c.via === 'nearest' && c.similarity !== null ? ` (nearest, similarity ${c.similarity.toFixed(2)})` : ''}
            </>
          ))}
        </p>
        <ul>
          {similar.incidents.map((i) => (
            <li>
              <PriorityBadge priority={i.priority} /> <a href={`/ui/incidents/${i.id}`}>#{i.id} {i.title}</a> <span class="small muted">{formatAgo(i.openedAt, now)}{i.resolvedAt !== null ? `, resolved after ${formatDuration(i.resolvedAt - i.openedAt)}` : ''}</span>
            </li>
          ))}
        </ul>
      </section>
    ) : null}
  </>
);

type PagedList = 'alerts' | 'timeline';

/** The incident page with `list` at `cursor` (null: its first page), the other list where it is. */
function pageHref(base: string, cursors: Record<PagedList, string | null>, list: PagedList, cursor: string | null): string {
  const query = new URLSearchParams();
  for (const name of ['alerts', 'timeline'] as const) {
    const value = name === list ? cursor : cursors[name];
    if (value !== null) query.set(name, value);
  }
  const text = query.toString();
  return `${base}${text ? `?${text}` : ''}#${list}`;
}

/** "Showing 200 of 20,000" with links to the next page and back to the first, when there is more than one page. */
const PageLinks: FC<{ shown: number; total: number; what: string; list: PagedList; cursors: Record<PagedList, string | null>; next: string | null; base: string; nextLabel: string; firstLabel: string }> = (p) => {
  const first = p.cursors[p.list] === null;
  if (first && p.next === null) return null;
  return (
    <p class="small muted">
      Showing {p.shown.toLocaleString('en')} of {p.total.toLocaleString('en')} {p.what}.{' '}
      {first ? null : <a href={pageHref(p.base, p.cursors, p.list, null)}>{p.firstLabel}</a>} {p.next === null ? null : <a href={pageHref(p.base, p.cursors, p.list, p.next)}>{p.nextLabel}</a>}
    </p>
  );
};

/** The URL if it is http(s), else null: a sender's `javascript:` or `data:` URL never becomes a link. */
export function httpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Prometheus and Alertmanager name it `runbook_url`; some rules say `runbook`. */
const runbookOf = (a: AlertRecord) => httpUrl(a.annotations.runbook_url ?? a.annotations.runbook);

/** The runbook, the graph the alert came from, and a silence drafted from its labels. */
const AlertLinks: FC<{ alert: AlertRecord; canWrite: boolean }> = ({ alert: a, canWrite }) => {
  const runbook = runbookOf(a);
  const source = httpUrl(a.generatorUrl);
  if (!runbook && !source && !canWrite) return null;
  return (
    <div class="links small">
      {runbook ? (
        <a href={runbook} rel="noopener noreferrer" target="_blank" data-link="runbook">
          runbook
        </a>
      ) : null}
      {source ? (
        <a href={source} rel="noopener noreferrer" target="_blank" data-link="source">
          source graph
        </a>
      ) : null}
      {canWrite ? (
        <a href={`/ui/silences?alert=${a.id}#new-silence`} data-link="silence">
          silence
        </a>
      ) : null}
    </div>
  );
};

const LabelList: FC<{ labels: Record<string, string>; name: string }> = ({ labels, name }) => (
  <dl class="labels" data-labels={name}>
    {Object.entries(labels).map(([k, v]) => (
      <>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </>
    ))}
  </dl>
);

/** Every label and annotation as the sender gave them (text only: annotations are never rendered as HTML). */
const AlertDetails: FC<{ alert: AlertRecord }> = ({ alert: a }) => (
  <details class="alert-details">
    <summary class="small">labels and annotations</summary>
    <p class="small muted">Labels</p>
    <LabelList labels={a.labels} name="labels" />
    {Object.keys(a.annotations).length > 0 ? (
      <>
        <p class="small muted">Annotations</p>
        <LabelList labels={a.annotations} name="annotations" />
      </>
    ) : null}
  </details>
);

/** Assign to oneself in one click, or to anyone by name; empty unassigns. */
const AssignForms: FC<{ ui: UiContext; incident: IncidentRecord }> = ({ ui, incident: i }) => (
  <div class="actions assign">
    {i.assignee !== ui.principal.name ? (
      <form method="post" action={`/ui/incidents/${i.id}/assign`}>
        <Csrf ui={ui} />
        <input type="hidden" name="assignee" value={ui.principal.name} />
        <button type="submit" data-action="assign-me">
          Assign to me
        </button>
      </form>
    ) : null}
    <form method="post" action={`/ui/incidents/${i.id}/assign`}>
      <Csrf ui={ui} />
      <label>
        Assign to
        <input type="text" name="assignee" value={i.assignee ?? ''} maxlength={256} size={14} autocomplete="off" />
      </label>
      <button type="submit">Assign</button>
    </form>
  </div>
);

export const IncidentDetailView: FC<IncidentDetailProps> = ({ ui, incident: i, alerts, timeline, joins, cursors = { alerts: null, timeline: null }, timers, slaSignals = [], knownError = null, similar = null, now, confirmResolve = null }) => {
  const reasons = joinReasons(joins);
  const actions = allowedActions(i.status);
  return (
    <>
      <p class="small">
        <a href="/ui/incidents">← All incidents</a>
      </p>
      <h1>
        <PriorityBadge priority={i.priority} /> #{i.id} {i.title} <StatusBadge status={i.status} />
      </h1>
      <div class="grid">
        <section class="card" aria-labelledby="facts">
          <h2 id="facts">Facts</h2>
          <dl class="facts">
            <dt>Service</dt>
            <dd>{i.service ?? '—'}</dd>
            <dt>Host</dt>
            <dd>{i.host ?? '—'}</dd>
            <dt>Root-cause candidate</dt>
            <dd>{i.rootCauseService ?? '—'}</dd>
            <dt>Priority</dt>
            <dd>
              {i.priority} {i.priorityOverridden ? '(set by hand)' : `(impact ${i.impact} × urgency ${i.urgency})`}
            </dd>
            <dt>Opened</dt>
            <dd>{formatTime(i.openedAt)}</dd>
            <dt>Acknowledged</dt>
            <dd>{formatTime(i.acknowledgedAt)}</dd>
            <dt>Resolved</dt>
            <dd>
              {formatTime(i.resolvedAt)}
              {i.resolution ? ` (${i.resolution})` : ''}
            </dd>
            <dt>Alerts</dt>
            <dd>
              {i.firingCount} firing of {i.alertCount}
            </dd>
            <dt>Assignee</dt>
            <dd data-assignee>{i.assignee ?? '—'}</dd>
          </dl>
          {ui.canWrite ? <AssignForms ui={ui} incident={i} /> : null}
        </section>
        <section class="card" aria-labelledby="sla-timers">
          <h2 id="sla-timers">SLA clocks</h2>
          {timers ? (
            <table>
              <caption class="small muted">
                {timers.source === 'service' ? `Targets of service ${timers.incident.service} for ${timers.incident.priority}` : `Server-wide targets for ${timers.incident.priority}${timers.incident.service ? ` (service ${timers.incident.service} has none of its own)` : ''}`}
              </caption>
              <tbody>
                <TargetRow name="Response" target={timers.response} now={now} />
                <TargetRow name="Resolution" target={timers.resolution} now={now} />
              </tbody>
            </table>
          ) : (
            <p class="muted">No response or resolution target is agreed for this incident.</p>
          )}
          {slaSignals.length > 0 ? (
            <>
              <h3 id="sla-signals">SLA signals</h3>
              <ul class="signals" aria-labelledby="sla-signals">
                {slaSignals.map((x) =>
                  x.kind === 'burn' ? (
                    <li>
                      <strong class={x.signal.severity === 'page' ? 'bad' : 'warn'}>{x.signal.severity === 'page' ? 'fast burn' : 'slow burn'}</strong> of {x.signal.service}'s error budget, {formatTime(x.signal.startedAt)} →{' '}
                      {x.signal.endedAt === null ? <em>burning</em> : formatTime(x.signal.endedAt)}
                    </li>
                  ) : (
                    <li>
                      <strong class={x.event === 'sla_breached' ? 'bad' : 'warn'}>{x.target} target {x.level === 'breached' ? 'breached' : `${x.level} % used`}</strong> {formatTime(x.at)}
                    </li>
                  ),
                )}
              </ul>
            </>
          ) : null}
        </section>
      </div>
      <ProblemContext knownError={knownError} similar={similar} now={now} />
      {ui.canWrite && confirmResolve ? <ConfirmResolve ui={ui} incidentId={i.id} confirm={confirmResolve} /> : null}
      {ui.canWrite ? (
        <section class="card" aria-labelledby="act">
          <h2 id="act">Actions</h2>
          <div class="actions">
            {actions.map((a) => (
              <form method="post" action={`/ui/incidents/${i.id}/actions/${a}`}>
                <Csrf ui={ui} />
                <button type="submit" class={a === 'resolve' || a === 'acknowledge' ? 'primary' : a === 'cancel' ? 'danger' : undefined} data-action={a}>
                  {ACTION_LABELS[a]}
                </button>
              </form>
            ))}
            <form method="post" action={`/ui/incidents/${i.id}/priority`}>
              <Csrf ui={ui} />
              <label>
                Priority
                <select name="priority">
                  <option value="matrix">from impact × urgency</option>
                  {PRIORITIES.map((p) => (
                    <option value={p} selected={i.priorityOverridden && i.priority === p}>
                      {p}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">Set priority</button>
            </form>
            <form method="post" action={`/ui/incidents/${i.id}/merge`}>
              <Csrf ui={ui} />
              <label>
                Merge into incident #
                <input type="number" name="into" min="1" required inputmode="numeric" size={6} />
              </label>
              <button type="submit">Merge</button>
            </form>
          </div>
          <form method="post" action={`/ui/incidents/${i.id}/notes`} class="actions">
            <Csrf ui={ui} />
            <label>
              Note
              <textarea name="text" rows={2} cols={60} required maxlength={10000}></textarea>
            </label>
            <button type="submit">Add note</button>
          </form>
        </section>
      ) : (
        <p class="muted small">Your token has the read scope only: actions are not available.</p>
      )}
      <section aria-labelledby="alerts">
        <h2 id="alerts">Alerts ({alerts.total})</h2>
        <PageLinks shown={alerts.items.length} total={alerts.total} what="alerts" list="alerts" cursors={cursors} next={alerts.nextCursor} base={`/ui/incidents/${i.id}`} nextLabel="Next alerts →" firstLabel="← First alerts" />
        <table>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Alert</th>
              <th scope="col">Service / host</th>
              <th scope="col">Started</th>
              <th scope="col">Why it joined</th>
            </tr>
          </thead>
          <tbody>
            {alerts.items.map((a) => {
              const r = reasons.get(`${a.source}\u0000${a.fingerprint}`);
              return (
                <tr>
                  <td>
                    <StatusBadge status={a.status === 'firing' ? 'open' : 'resolved'} />
                    <div class="small muted">{a.status}</div>
                    {a.flapping ? <div class="small warn">flapping</div> : null}
                    {a.suppressedBy ? <div class="small muted">suppressed</div> : null}
                  </td>
                  <td class="wrap">
                    {a.title}
                    <div class="small muted">
                      {a.source} · {a.severity} · ×{a.occurrences}
                    </div>
                    <AlertLinks alert={a} canWrite={ui.canWrite} />
                    <AlertDetails alert={a} />
                  </td>
                  <td>
                    {a.service ?? '—'} / {a.host ?? '—'}
                  </td>
                  <td>
                    {formatTime(a.startsAt)}
                    {a.endsAt !== null ? <div class="small muted">ended {formatTime(a.endsAt)}</div> : null}
                  </td>
                  <td>
                    {r ? (
                      <>
                        <strong>{r.method}</strong>
                        {r.score !== null ? <span class="muted"> · score {r.score}</span> : null}
                        <div class="small">{r.why}</div>
                        {r.evidence && typeof r.evidence === 'object' && Object.keys(r.evidence).length > 0 ? (
                          <details>
                            <summary class="small">evidence</summary>
                            <pre>{JSON.stringify(r.evidence, null, 2)}</pre>
                          </details>
                        ) : null}
                      </>
                    ) : (
                      <span class="muted">moved here by a merge or split</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <PageLinks shown={timeline.items.length} total={timeline.total} what="entries, newest first" list="timeline" cursors={cursors} next={timeline.nextCursor} base={`/ui/incidents/${i.id}`} nextLabel="Older entries →" firstLabel="← Newest entries" />
        <ol class="timeline card">
          {timeline.items.map((t) => (
            <li>
              <time datetime={isoTime(t.at)}>{formatTime(t.at)}</time> <span class="kind">{t.kind.replace('_', ' ')}</span>
              {t.message} <span class="small muted">— {t.actor}</span>
            </li>
          ))}
        </ol>
      </section>
      <p class="small muted">Open for {formatDuration((i.resolvedAt ?? now) - i.openedAt)}.</p>
    </>
  );
};
