/**
 * @module The web UI under /ui: server-rendered pages calling the services directly. Every
 * page needs a session whose token has the read scope (or admin), as the API asks for the
 * same data; POSTs need the write scope as well, a CSRF token and a same-origin request,
 * and answer with a redirect (post/redirect/get) or the page again with the problem explained.
 */
import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { INCIDENT_STATUSES, PRIORITIES, type IncidentAction, type IncidentStatus } from '../domain/incident.js';
import { SERVICE_NAME } from '../domain/service.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { AppEnv } from '../http/env.js';
import { statusOf } from '../http/errors.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { SearchText } from '../http/routes/incidents.js';
import { listAgents } from '../services/agents.js';
import { evaluateCapacity, evaluateHostCapacity } from '../services/capacity.js';
import { DEFAULT_FORECAST_HORIZON_MS } from '../domain/capacity-config.js';
import type { Catalogue } from '../services/catalogue.js';
import type { Clock } from '../services/clock.js';
import { listHosts } from '../services/configuration-items.js';
import { correlationLag, countActiveIncidentsByPriority } from '../services/incident-board.js';
import { getIncidentSla, type TargetsByPriority } from '../services/sla-targets.js';
import { addIncidentNote, getIncidentDetail, incidentJoinEntries, incidentStatusEntries, listIncidentPage, mergeIncidents, transitionIncident, updateIncident } from '../services/incidents.js';
import { knownErrorOfIncident, similarIncidents } from '../services/problems.js';
import { measureMetricSlis } from '../services/metric-slis.js';
import { changesOfIncident, doraByService } from '../services/change-analysis.js';
import { DEFAULT_CHANGE_RANK, type ChangeRankOptions } from '../changes/rank.js';
import { evaluateSlaPeriod, explainOutages } from '../services/sla-history.js';
import { listIncidentSignals, listServiceSignals } from '../services/sla-signals.js';
import { onCallOverview } from '../services/oncall.js';
import type { Authenticator } from '../services/tokens.js';
import { closeUiSession, openUiSession } from '../services/ui-sessions.js';
import type { AppError } from '../domain/result.js';
import { STATIC_ASSETS, type AssetName } from './assets.js';
import { LiveRegion, Page, type Section } from './layout.js';
import { AgentsPage } from './pages/agents.js';
import { CapacityList, HostCapacityView } from './pages/capacity.js';
import { IncidentDetailView, IncidentList, IncidentLive, type IncidentListFilter, type ResolveConfirmation } from './pages/incidents.js';
import { OnCallPage } from './pages/oncall.js';
import { ServicesPage } from './pages/services.js';
import { postmortemPages } from './postmortem-routes.js';
import { problemPages } from './problem-routes.js';
import { silencePages } from './silence-routes.js';
import { SignInPage } from './pages/sign-in.js';
import { MAX_PERIOD_OFFSET, SlaPage, slaCsv } from './pages/sla.js';
import { clearSessionCookie, isSameOriginPost, requireUiSession, safeNext, securityHeaders, SESSION_COOKIE, setSessionCookie, type UiEnv } from './session.js';

export interface UiDeps {
  handle: DatabaseHandle;
  clock: Clock;
  catalogue: Catalogue;
  authenticator: Authenticator;
  adminTokenConfigured: boolean;
  resolveHoldDownMs: number;
  /** Asks the correlator to look again after a silence changes (as the API does). */
  kickCorrelator?: () => void;
  /** How far back a new silence may start (`ingest.timeSkew`, as the API checks it). */
  timeSkew?: TimeSkew;
  /** Capacity forecasts further out read "not within …" (`capacity.forecastHorizon`). */
  capacityForecastHorizonMs?: number;
  /** Server-wide response and resolution targets (`sla.targets`), as the API applies them. */
  slaTargets: TargetsByPriority;
  /** "What changed?" on the incident page (`changeAnalysis`); default: the ranking's defaults. */
  changeRank?: ChangeRankOptions;
}

const LIST_LIMIT = 200;
/** How often pages refresh themselves: an incident changes by the minute, SLA figures slowly. */
const INCIDENT_REFRESH_MS = 10_000;
const SLA_REFRESH_MS = 60_000;
const AGENTS_REFRESH_MS = 15_000;

/** A `datetime-local` value (read as UTC, as the UI writes every time) or a full ISO 8601 time. */
const UiTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/, 'expected a date and time such as 2026-11-21T04:00')
  .transform((v, ctx) => {
    const ms = Date.parse(/Z|[+-]\d{2}:\d{2}$/.test(v) ? v : `${v}Z`);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'not a valid date and time' });
    return ms;
  });

const ListQuery = z.object({
  status: z.enum(['active', 'all', ...INCIDENT_STATUSES]).catch('active'),
  priority: z.enum(PRIORITIES).nullable().catch(null),
  service: z.string().regex(SERVICE_NAME).nullable().catch(null),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).nullable().catch(null),
});
const SearchBounds = z.object({ q: SearchText.nullable(), from: UiTime.nullable(), to: UiTime.nullable() });

/**
 * The list's filters from the query string. Menus fall back to their defaults; a search or a
 * time the list cannot use is left out and named in `problem`, shown above the list.
 */
function listFilter(c: Context): { filter: IncidentListFilter; problem: string | null } {
  const base = ListQuery.parse({ status: c.req.query('status') ?? 'active', priority: c.req.query('priority') || null, service: c.req.query('service') || null, cursor: c.req.query('cursor') || null });
  const filter: IncidentListFilter = { ...base, q: null, since: null, until: null };
  const problems: string[] = [];
  for (const [field, label] of [['q', 'Search'], ['from', 'Opened from'], ['to', 'Opened to']] as const) {
    const value = c.req.query(field)?.trim() || null;
    const parsed = SearchBounds.shape[field].safeParse(value);
    if (!parsed.success) {
      problems.push(`${label}: ${parsed.error.issues[0]?.message ?? 'not valid'}`);
      continue;
    }
    if (field === 'q') filter.q = parsed.data === null || (parsed.data as string[]).length === 0 ? null : (value as string);
    else if (field === 'from') filter.since = parsed.data as number | null;
    else filter.until = parsed.data as number | null;
  }
  if (filter.since !== null && filter.until !== null && filter.since >= filter.until) {
    problems.push('Opened to: must be after Opened from');
    filter.until = null;
  }
  return { filter, problem: problems.length ? `Left out of the filter — ${problems.join('; ')}.` : null };
}

const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const PeriodParam = z.coerce.number().int().min(0).max(MAX_PERIOD_OFFSET).catch(0);
/** What the page says after a change (the redirect names it). */
const DONE: Record<string, string> = {
  acknowledge: 'Incident acknowledged.',
  hold: 'Incident put on hold.',
  resume: 'Incident resumed.',
  resolve: 'Incident resolved.',
  reopen: 'Incident reopened.',
  close: 'Incident closed.',
  cancel: 'Incident cancelled.',
  note: 'Note added.',
  assign: 'Assignee changed.',
  priority: 'Priority changed.',
  merge: 'Incident merged: it now lives on in the incident it was merged into.',
};
const ACTIONS: readonly IncidentAction[] = ['acknowledge', 'hold', 'resume', 'resolve', 'reopen', 'close', 'cancel'];

/** A resolve refused because alerts still fire (its error names them): the page asks to confirm. */
function resolveConfirmationOf(error: AppError): ResolveConfirmation | null {
  const details = error.details as Partial<ResolveConfirmation> & { action?: unknown } | undefined;
  if (error.code !== 'CONFLICT' || details?.action !== 'resolve' || typeof details.firingCount !== 'number' || !Array.isArray(details.firing)) return null;
  return { firingCount: details.firingCount, firing: details.firing };
}

export function uiRoutes(deps: UiDeps): Hono<AppEnv> {
  const app = new Hono<UiEnv>();
  app.use('/ui/*', securityHeaders);
  app.use('/ui', securityHeaders);

  app.get('/ui', (c) => c.redirect('/ui/incidents', 303));

  app.get('/ui/static/:name', (c) => {
    const name = c.req.param('name');
    if (!Object.hasOwn(STATIC_ASSETS, name)) return c.text('not found', 404);
    const asset = STATIC_ASSETS[name as AssetName];
    const immutable = c.req.query('v') === asset.hash;
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
  });

  app.get('/ui/sign-in', (c) => c.html(<SignInPage next={safeNext(c.req.query('next'))} />));

  app.post('/ui/sign-in', async (c) => {
    if (!isSameOriginPost(c)) return c.text('Cross-site request refused.', 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const token = typeof form.token === 'string' ? form.token : '';
    const opened = await openUiSession(deps, token);
    if (!opened.ok) return c.html(<SignInPage next={next} error={opened.error.message} />, statusOf(opened.error.code));
    setSessionCookie(c, opened.value.sessionId);
    return c.redirect(next, 303);
  });

  // Signing out needs only the session, whatever its scopes.
  app.post('/ui/sign-out', requireUiSession(deps, null), async (c) => {
    await closeUiSession(deps, c.get('ui').sessionId);
    clearSessionCookie(c);
    return c.redirect('/ui/sign-in', 303);
  });

  // Every other UI route needs a session.
  app.use('/ui/*', async (c, next) => {
    if (c.req.path.startsWith('/ui/static/') || c.req.path === '/ui/sign-in' || c.req.path === '/ui/sign-out') return next();
    return requireUiSession(deps)(c, next);
  });

  const page = (c: Context<UiEnv>, section: Section, title: string, body: unknown, status = 200, flash: { kind: 'ok' | 'error'; text: string } | null = null) =>
    c.html(
      <Page title={title} section={section} ui={c.get('ui')} flash={flash}>
        {body as any}
      </Page>,
      status as 200,
    );

  const notFound = (c: Context<UiEnv>, section: Section, text: string) => page(c, section, 'Not found', <p>{text}</p>, 404);
  /** Alerts and timeline entries per page of an incident. */
  const UI_ALERTS_PAGE = 200;
  const UI_TIMELINE_PAGE = 200;

  // ---- Incidents

  const loadList = async (filter: IncidentListFilter) => {
    const status: IncidentStatus[] | undefined = filter.status === 'all' ? undefined : filter.status === 'active' ? ['open', 'acknowledged', 'on_hold'] : [filter.status];
    const [listed, counts, lag] = await Promise.all([
      listIncidentPage(deps, {
        status,
        priority: filter.priority ? [filter.priority] : undefined,
        service: filter.service ?? undefined,
        text: filter.q ? filter.q.split(/\s+/).filter(Boolean) : undefined,
        since: filter.since ?? undefined,
        until: filter.until ?? undefined,
        limit: LIST_LIMIT,
        cursor: filter.cursor ?? undefined,
      }),
      countActiveIncidentsByPriority(deps),
      correlationLag(deps),
    ]);
    // A cursor that does not decode lists nothing; the caption links back to the newest page.
    const page = listed.ok ? listed.value : { items: [], nextCursor: null };
    return { items: page.items, nextCursor: page.nextCursor, counts, lag };
  };

  app.get('/ui/incidents', async (c) => {
    const { filter, problem } = listFilter(c);
    const [data, services] = await Promise.all([loadList(filter), deps.catalogue.list()]);
    return page(c, 'incidents', 'Incidents', <IncidentList filter={filter} services={services.map((s) => s.name)} now={deps.clock.now()} {...data} />, problem ? 400 : 200, problem ? { kind: 'error', text: problem } : null);
  });

  app.get('/ui/incidents/live', async (c) => {
    const { filter } = listFilter(c);
    const data = await loadList(filter);
    return c.html(<IncidentLive filter={filter} now={deps.clock.now()} {...data} />);
  });

  /** The incident page's content (without the frame), or why there is none; `confirmResolve` asks before resolving while alerts fire. */
  const loadIncident = async (c: Context<UiEnv>, id: number, confirmResolve: ResolveConfirmation | null = null): Promise<{ ok: true; title: string; body: Child } | { ok: false; error: AppError }> => {
    // A page of each (links go on from `alerts` / `timeline` cursors): a storm incident holds tens of thousands of alerts.
    const cursors = { alerts: c.req.query('alerts') || null, timeline: c.req.query('timeline') || null };
    const detail = await getIncidentDetail(deps, id, {
      alerts: { cursor: cursors.alerts, limit: UI_ALERTS_PAGE },
      timeline: { cursor: cursors.timeline, limit: UI_TIMELINE_PAGE, newestFirst: true },
    });
    if (!detail.ok) return detail;
    const { incident, alerts, timeline } = detail.value;
    const changeAnalysis = { handle: deps.handle, graph: () => deps.catalogue.graph(), options: deps.changeRank ?? DEFAULT_CHANGE_RANK };
    const [timers, knownError, similar, joins, slaSignals, changes] = await Promise.all([
      getIncidentSla({ ...deps, globalTargets: deps.slaTargets }, id).then((sla) => (sla.ok ? sla.value : null)),
      knownErrorOfIncident(deps, id),
      similarIncidents(deps, id, 10),
      incidentJoinEntries(deps, id, alerts.items),
      listIncidentSignals(deps, id),
      changesOfIncident(changeAnalysis, incident),
    ]);
    return {
      ok: true,
      title: `#${incident.id} ${incident.title}`,
      body: <IncidentDetailView ui={c.get('ui')} incident={incident} alerts={alerts} timeline={timeline} joins={joins} cursors={cursors} timers={timers} slaSignals={slaSignals} knownError={knownError} similar={similar.ok ? similar.value : null} changes={changes} now={deps.clock.now()} confirmResolve={confirmResolve} />,
    };
  };

  const renderIncident = async (c: Context<UiEnv>, id: number, status = 200, flash: { kind: 'ok' | 'error'; text: string } | null = null, confirmResolve: ResolveConfirmation | null = null) => {
    const loaded = await loadIncident(c, id, confirmResolve);
    if (!loaded.ok) return loaded.error.code === 'NOT_FOUND' ? notFound(c, 'incidents', loaded.error.message) : page(c, 'incidents', 'Bad link', <p>This page link is not valid: {loaded.error.message}.</p>, 400);
    const done = c.req.query('done');
    const flashed = flash ?? (done && Object.hasOwn(DONE, done) ? { kind: 'ok' as const, text: DONE[done] as string } : null);
    const query = new URL(c.req.url).searchParams;
    query.delete('done');
    const live = `/ui/incidents/${id}/live${query.size ? `?${query}` : ''}`;
    // A resolve waiting for its confirmation stays as it is: a refresh would take the question away.
    if (confirmResolve) return page(c, 'incidents', loaded.title, loaded.body, status, flashed);
    return page(c, 'incidents', loaded.title, <LiveRegion url={live} intervalMs={INCIDENT_REFRESH_MS}>{loaded.body}</LiveRegion>, status, flashed);
  };

  app.get('/ui/incidents/:id/live', async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return c.text('There is no such incident.', 404);
    const loaded = await loadIncident(c, id.data);
    if (!loaded.ok) return c.text(loaded.error.message, statusOf(loaded.error.code) as 400);
    return c.html(<>{loaded.body}</>);
  });

  app.get('/ui/incidents/:id', async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'incidents', 'There is no such incident.');
    return renderIncident(c, id.data);
  });

  /** Runs a change for a user with the write scope; a refused change shows the page again with the reason. */
  const change = (run: (c: Context<UiEnv>, id: number, form: Record<string, unknown>) => Promise<{ ok: true } | { ok: false; error: AppError }>, done: (c: Context<UiEnv>) => string) =>
    async (c: Context<UiEnv>) => {
      const id = IdParam.safeParse(c.req.param('id'));
      if (!id.success) return notFound(c, 'incidents', 'There is no such incident.');
      if (!c.get('ui').canWrite) return renderIncident(c, id.data, 403, { kind: 'error', text: 'Your token lacks the write scope: you can look but not act.' });
      const result = await run(c, id.data, await c.req.parseBody());
      if (!result.ok) {
        // Not an error to show but a question to ask: the page asks to confirm (a 200, as any form step).
        const confirm = resolveConfirmationOf(result.error);
        if (confirm) return renderIncident(c, id.data, 200, null, confirm);
        return renderIncident(c, id.data, statusOf(result.error.code), { kind: 'error', text: result.error.message });
      }
      return c.redirect(`/ui/incidents/${id.data}?done=${done(c)}`, 303);
    };

  const actor = (c: Context<UiEnv>) => c.get('ui').principal.name;

  app.post(
    '/ui/incidents/:id/actions/:action',
    change(async (c, id, form) => {
      const action = c.req.param('action') as IncidentAction;
      if (!ACTIONS.includes(action)) return { ok: false, error: { code: 'VALIDATION', message: `unknown action ${action}` } };
      // `force`: the confirmation of a resolve while alerts still fire.
      return transitionIncident(deps, id, action, actor(c), null, { force: action === 'resolve' && form.force === '1' });
    }, (c) => c.req.param('action') as string),
  );

  app.post(
    '/ui/incidents/:id/assign',
    change(async (c, id, form) => {
      const assignee = z.string().trim().max(256, 'an assignee has at most 256 characters').safeParse(form.assignee ?? '');
      if (!assignee.success) return { ok: false, error: { code: 'VALIDATION', message: `assignee: ${assignee.error.issues[0]?.message}` } };
      return updateIncident(deps, id, actor(c), { assignee: assignee.data || null });
    }, () => 'assign'),
  );

  app.post(
    '/ui/incidents/:id/notes',
    change(async (c, id, form) => {
      const text = typeof form.text === 'string' ? form.text.trim() : '';
      if (!text || text.length > 10_000) return { ok: false, error: { code: 'VALIDATION', message: 'a note needs 1 to 10,000 characters' } };
      return addIncidentNote(deps, id, actor(c), text);
    }, () => 'note'),
  );

  app.post(
    '/ui/incidents/:id/priority',
    change(async (c, id, form) => {
      const parsed = z.enum([...PRIORITIES, 'matrix']).safeParse(form.priority);
      if (!parsed.success) return { ok: false, error: { code: 'VALIDATION', message: 'priority must be P1 to P5, or the matrix' } };
      return updateIncident(deps, id, actor(c), { priority: parsed.data === 'matrix' ? null : parsed.data });
    }, () => 'priority'),
  );

  app.post(
    '/ui/incidents/:id/merge',
    change(async (c, id, form) => {
      const into = IdParam.safeParse(form.into);
      if (!into.success) return { ok: false, error: { code: 'VALIDATION', message: 'give the number of the incident to merge into' } };
      const merged = await mergeIncidents(deps, id, into.data, actor(c));
      if (merged.ok) return { ok: true };
      return merged;
    }, () => 'merge'),
  );

  // ---- SLA

  const slaView = async (c: Context<UiEnv>) => {
    const offset = PeriodParam.parse(c.req.query('period'));
    const items = await evaluateSlaPeriod(deps, offset);
    const from = Math.min(...items.map((s) => s.current.availability.start));
    const to = Math.max(...items.map((s) => s.current.availability.end));
    const signals = items.length ? await listServiceSignals(deps, items.map((s) => s.service), from, to) : [];
    const outages = await explainOutages(deps, items);
    const now = deps.clock.now();
    const metricSlis = new Map(await Promise.all(items.map(async (s) => [s.service, await measureMetricSlis(s.policy, now, { start: s.current.availability.start, end: s.current.availability.end })] as const)));
    return { offset, body: <SlaPage items={items} offset={offset} now={now} signals={signals} outages={outages} metricSlis={metricSlis} /> };
  };

  app.get('/ui/sla', async (c) => {
    const { offset, body } = await slaView(c);
    return page(c, 'sla', 'Service levels', <LiveRegion url={`/ui/sla/live?period=${offset}`} intervalMs={SLA_REFRESH_MS}>{body}</LiveRegion>);
  });

  app.get('/ui/sla/live', async (c) => c.html((await slaView(c)).body));

  app.get('/ui/sla.csv', async (c) => {
    const offset = PeriodParam.parse(c.req.query('period'));
    const items = await evaluateSlaPeriod(deps, offset);
    const stamp = new Date(deps.clock.now()).toISOString().slice(0, 10);
    return c.body(slaCsv(items), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="sightline-sla-${stamp}-p${offset}.csv"` });
  });

  // ---- Capacity, agents, services

  app.get('/ui/capacity', async (c) => page(c, 'capacity', 'Capacity', <CapacityList hosts={await evaluateCapacity(deps, { backtest: false })} horizonMs={deps.capacityForecastHorizonMs ?? DEFAULT_FORECAST_HORIZON_MS} />));

  app.get('/ui/capacity/:host', async (c) => {
    const host = c.req.param('host');
    if (host.length > 256) return notFound(c, 'capacity', 'There is no such host.');
    const found = await evaluateHostCapacity(deps, host);
    if (!found.ok) return notFound(c, 'capacity', found.error.message);
    return page(c, 'capacity', `Capacity of ${host}`, <HostCapacityView host={found.value} now={deps.clock.now()} horizonMs={deps.capacityForecastHorizonMs ?? DEFAULT_FORECAST_HORIZON_MS} />);
  });

  const agentsView = async () => <AgentsPage agents={await listAgents(deps.handle.db)} now={deps.clock.now()} />;
  app.get('/ui/agents', async (c) => page(c, 'agents', 'Agents', <LiveRegion url="/ui/agents/live" intervalMs={AGENTS_REFRESH_MS}>{await agentsView()}</LiveRegion>));
  app.get('/ui/agents/live', async (c) => c.html(await agentsView()));

  app.get('/ui/services', async (c) => {
    const lookbackMs = (deps.changeRank ?? DEFAULT_CHANGE_RANK).lookbackMs;
    const [services, hosts, dora] = await Promise.all([deps.catalogue.list(), listHosts(deps), doraByService({ handle: deps.handle, lookbackMs }, deps.clock.now())]);
    return page(c, 'services', 'Services', <ServicesPage services={services} hosts={hosts} dora={dora} />);
  });

  // ---- On call

  const ONCALL_DAYS = 14;
  app.get('/ui/oncall', async (c) => page(c, 'oncall', 'On call', <OnCallPage schedules={await onCallOverview(deps, ONCALL_DAYS)} now={deps.clock.now()} days={ONCALL_DAYS} />));

  problemPages(app, deps, { page, notFound });
  postmortemPages(app, { ...deps, globalTargets: deps.slaTargets, changeAnalysis: { graph: () => deps.catalogue.graph(), options: deps.changeRank ?? DEFAULT_CHANGE_RANK } }, { page, notFound });
  silencePages(app, { handle: deps.handle, clock: deps.clock, kick: deps.kickCorrelator, timeSkew: deps.timeSkew ?? DEFAULT_TIME_SKEW }, { page, notFound });

  app.all('/ui/*', (c) => (getCookie(c, SESSION_COOKIE) !== undefined ? notFound(c, 'incidents', 'There is no such page.') : c.text('not found', 404)));

  return app as unknown as Hono<AppEnv>;
}
