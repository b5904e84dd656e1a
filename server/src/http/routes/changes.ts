/**
 * @module Changes on services: the native API (record: `write`; list: `read`), PagerDuty Change
 * Events (`POST /v2/change/enqueue`, routing key as for `/v2/enqueue`), GitHub `deployment_status`
 * webhooks (HMAC `X-Hub-Signature-256`) and Argo CD notifications (`ingest`).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ServerConfig } from '../../config.js';
import { CHANGE_KINDS, type Change, type ChangeLink } from '../../domain/change.js';
import { SERVICE_NAME, SERVICE_NAME_RULE } from '../../domain/service.js';
import { labelNameMap } from '../../domain/string-map.js';
import { Rfc3339Time, TimeOrAgo } from '../../domain/time.js';
import { parseGitHubDeploymentStatus, parsePagerDutyChange, verifyGitHubSignature, type ChangeDraft } from '../../ingest/change-events.js';
import type { AdmissionControl } from '../../services/admission.js';
import { listChangePage, recordChange, serviceOfChange, type ChangeDeps } from '../../services/changes.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import { invalidEvent, routingKeyAuth } from '../routing-key.js';
import { refuse } from './ingest.js';

const Link = z.union([
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(8192).transform((href): ChangeLink => ({ href })),
  z.strictObject({ href: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(8192), text: z.string().max(1024).optional() }),
]);

const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** A change as `POST /api/v1/changes` takes it. */
export const ChangeRequest = z.strictObject({
  service: z.string().regex(SERVICE_NAME, SERVICE_NAME_RULE),
  summary: Text(1024),
  kind: z.enum(CHANGE_KINDS),
  startedAt: Rfc3339Time,
  finishedAt: Rfc3339Time.optional(),
  version: Text(256).optional(),
  author: Text(256).optional(),
  links: z.array(Link).max(20).optional(),
  labels: labelNameMap().optional(),
  /** Make [startedAt, finishedAt) a maintenance window on the service. */
  maintenance: z.boolean().optional(),
});

/** A change as the native request or the Argo CD template gives it, its optional fields filled in. */
function draftOf(b: Omit<z.output<typeof ChangeRequest>, 'service' | 'maintenance'>, source: string): ChangeDraft {
  return {
    summary: b.summary,
    kind: b.kind,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt ?? null,
    version: b.version ?? null,
    author: b.author ?? null,
    links: b.links ?? [],
    labels: b.labels ?? {},
    source,
  };
}

/**
 * What the Argo CD template of docs/changes.md sends: the native fields without `maintenance`;
 * `service` may be left out for the catalogue to map from the labels, and a field the template
 * left empty (an automated sync has no user) counts as not given.
 */
const ArgoCdChangeRequest = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '' && x !== '<no value>')) : v),
  ChangeRequest.omit({ maintenance: true }).extend({ service: ChangeRequest.shape.service.optional(), kind: z.enum(CHANGE_KINDS).default('deploy') }),
);


const ListQuery = z.strictObject({
  service: z.string().min(1).max(256).optional(),
  since: TimeOrAgo.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional(),
});

function invalid(c: Context<AppEnv>, where: string, error: z.ZodError) {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return c.json(errorBody(c, 'VALIDATION', `invalid ${where}: ${first?.path ? `${first.path}: ` : ''}${first?.message}`, { issues }), 400);
}

export const presentChange = (ch: Change) => ({
  id: ch.id,
  service: ch.service,
  summary: ch.summary,
  kind: ch.kind,
  startedAt: iso(ch.startedAt),
  finishedAt: iso(ch.finishedAt),
  version: ch.version,
  author: ch.author,
  links: ch.links,
  labels: ch.labels,
  source: ch.source,
  receivedAt: iso(ch.receivedAt),
});

/** The catalogue's words for a change it cannot place: which labels it tried. */
const unmapped = (labels: Record<string, string>) =>
  `no service of the catalogue matches this change (labels ${JSON.stringify(labels)}); give a service label, or add these labels to a service's match.labels`;

export interface ChangeRouteDeps extends ChangeDeps {
  authenticator: Authenticator;
  admission: AdmissionControl;
  config: Readonly<ServerConfig>;
}

export function changeRoutes(deps: ChangeRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const authorizeRoutingKey = routingKeyAuth(deps);

  /** Records a sender's change on the service the catalogue maps it to; 400 naming the labels when none. */
  const recordDraft = async (c: Context<AppEnv>, draft: ChangeDraft, service: string | null) => {
    const on = service ?? serviceOfChange(deps.catalogue, draft.labels);
    if (on === null) return { ok: false as const, message: unmapped(draft.labels) };
    const recorded = await recordChange(deps, { ...draft, service: on }, c.get('principal')?.name ?? draft.source);
    if (!recorded.ok) return { ok: false as const, message: recorded.error.message };
    return { ok: true as const, change: recorded.value.change };
  };

  app.post('/api/v1/changes', requireScope(deps.authenticator, 'write'), async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = ChangeRequest.safeParse(body.value.json);
    if (!parsed.success) return invalid(c, 'change', parsed.error);
    const b = parsed.data;
    // The command line says who it is, so a listing tells pipelines' records from people's.
    const source = /^sightline-cli\//.test(c.req.header('user-agent') ?? '') ? 'cli' : 'api';
    const recorded = await recordChange(deps, { ...draftOf(b, source), service: b.service, maintenance: b.maintenance ?? false }, c.get('principal').name);
    if (!recorded.ok) return errorResponse(c, recorded.error);
    const { change, silences } = recorded.value;
    return c.json({ id: change.id, ...(silences.length > 0 ? { maintenance: { silences: silences.map((s) => s.id), startsAt: iso(change.startedAt), endsAt: iso(change.finishedAt) } } : {}) }, 201);
  });

  app.get('/api/v1/changes', requireScope(deps.authenticator, 'read'), async (c) => {
    const query = ListQuery.safeParse(c.req.query());
    if (!query.success) return invalid(c, 'query', query.error);
    const q = query.data;
    const since = q.since ? (q.since.at ?? deps.clock.now() - (q.since.ago ?? 0)) : undefined;
    const page = await listChangePage(deps, { service: q.service, since, limit: q.limit, cursor: q.cursor });
    if (!page.ok) return errorResponse(c, page.error);
    return c.json({ items: page.value.items.map(presentChange), nextCursor: page.value.nextCursor });
  });

  // PagerDuty Change Events: authenticated and answered as `/v2/enqueue` is.
  app.post('/v2/change/enqueue', async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return body.error.code === 'VALIDATION' ? invalidEvent(c, [body.error.message]) : errorResponse(c, body.error);
    const unauthorized = await authorizeRoutingKey(c, body.value.json);
    if (unauthorized) return unauthorized;
    const refused = refuse(c, deps);
    if (refused) return refused;
    const parsed = parsePagerDutyChange(body.value.json, deps.clock.now());
    if (!parsed.ok) return invalidEvent(c, parsed.errors);
    const recorded = await recordDraft(c, parsed.change, null);
    if (!recorded.ok) return invalidEvent(c, [recorded.message]);
    return c.json({ status: 'success', message: 'Change event processed' }, 202);
  });

  app.post('/api/v1/changes/github', async (c) => {
    const secret = deps.config.changes.github.webhookSecret;
    if (!secret) return c.json(errorBody(c, 'FORBIDDEN', 'GitHub webhooks are not configured: set changes.github.webhookSecret (SIGHTLINE_GITHUB_WEBHOOK_SECRET)'), 403);
    // The signature first: nothing about the body is said to a sender that cannot sign it.
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const check = verifyGitHubSignature(secret, raw, c.req.header('x-hub-signature-256'));
    if (!check.ok) return c.json(errorBody(c, 'UNAUTHORIZED', `GitHub signature check failed: ${check.reason}`), 401);
    const event = c.req.header('x-github-event') ?? '';
    if (event === 'ping') return c.json({ status: 'ok', message: 'pong' }, 200);
    if (event !== 'deployment_status') return c.json({ status: 'ignored', message: `event ${JSON.stringify(event.slice(0, 64))} is not recorded: send deployment_status events only` }, 202);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      return c.json(errorBody(c, 'VALIDATION', 'invalid GitHub payload: not JSON (set the webhook content type to application/json)'), 400);
    }
    const parsed = parseGitHubDeploymentStatus(json, deps.clock.now());
    if (parsed.ok === 'ignored') return c.json({ status: 'ignored', message: parsed.reason }, 202);
    if (!parsed.ok) return c.json(errorBody(c, 'VALIDATION', `invalid GitHub deployment_status payload: ${parsed.errors[0]}`, { errors: parsed.errors }), 400);
    const recorded = await recordDraft(c, parsed.change, null);
    if (!recorded.ok) return c.json(errorBody(c, 'VALIDATION', recorded.message), 400);
    return c.json({ status: 'recorded', id: recorded.change.id, service: recorded.change.service }, 201);
  });

  app.post('/api/v1/changes/argocd', requireScope(deps.authenticator, 'ingest'), async (c) => {
    const refused = refuse(c, deps);
    if (refused) return refused;
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = ArgoCdChangeRequest.safeParse(body.value.json);
    if (!parsed.success) return invalid(c, 'Argo CD change', parsed.error);
    const b = parsed.data;
    const recorded = await recordDraft(c, draftOf(b, 'argocd'), b.service ?? null);
    if (!recorded.ok) return c.json(errorBody(c, 'VALIDATION', recorded.message), 400);
    return c.json({ id: recorded.change.id, service: recorded.change.service }, 201);
  });

  return app;
}
