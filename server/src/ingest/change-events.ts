/**
 * @module Changes as senders report them → a change without its service, which the caller
 * maps through the catalogue from the labels (as alerts are mapped). Pure.
 *
 * - PagerDuty Change Events (`POST /v2/change/enqueue`): `payload.summary`, `payload.timestamp`
 *   (start), `payload.source` (→ label `host`), scalar `payload.custom_details` (→ labels; `kind`,
 *   `version` or `revision`, `author` are read from there too), `links`.
 * - GitHub `deployment_status` webhooks: a deployment whose status is `success` is a change of kind
 *   `deploy` from the deployment's creation to that status, labels `repository` (owner/name) and
 *   `environment`; other states are not changes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { LABEL_NAME, type Labels } from '../domain/alert.js';
import { CHANGE_KINDS, type ChangeKind, type ChangeLink, type NewChange } from '../domain/change.js';
import { Timestamp } from './schemas.js';

/** A change as parsed, before the catalogue names its service. */
export type ChangeDraft = Omit<NewChange, 'service' | 'receivedAt'>;

export type ChangeParse = { ok: true; change: ChangeDraft } | { ok: false; errors: string[] };

const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 1024;

/** PagerDuty writes offsets without a colon (`2020-07-17T08:42:58.315+0000`, ISO 8601's basic form); RFC 3339 wants `+00:00`. */
const PagerDutyTimestamp = z.preprocess((v) => (typeof v === 'string' ? v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2') : v), Timestamp);

const Link = z.looseObject({ href: z.url({ protocol: /^https?$/ }).max(8192), text: z.string().max(1024).optional() });

const PagerDutyChangeEvent = z.looseObject({
  routing_key: z.string().min(1).max(256),
  payload: z.looseObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1).max(255).optional(),
    timestamp: PagerDutyTimestamp.optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  links: z.array(Link).max(50).optional(),
});

const issuesOf = (error: z.ZodError) => error.issues.map((i) => (i.path.length ? `'${i.path.join('.')}': ${i.message}` : i.message));

/** Scalar details whose names are label names, as text (at most 64, values cut to 1,024 characters). */
function labelsOf(details: Record<string, unknown> | undefined): Labels {
  const labels: Labels = {};
  for (const [name, value] of Object.entries(details ?? {})) {
    if (Object.keys(labels).length >= MAX_LABELS) break;
    if (!LABEL_NAME.test(name) || !['string', 'number', 'boolean'].includes(typeof value)) continue;
    labels[name] = String(value).slice(0, MAX_LABEL_VALUE);
  }
  return labels;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 256) : typeof v === 'number' ? String(v) : null);

export function parsePagerDutyChange(body: unknown, now: number): ChangeParse {
  const parsed = PagerDutyChangeEvent.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesOf(parsed.error) };
  const { payload, links } = parsed.data;
  const details = payload.custom_details ?? {};
  const labels = labelsOf(details);
  if (payload.source && labels.host === undefined) labels.host = payload.source;
  const kind = CHANGE_KINDS.includes(details.kind as ChangeKind) ? (details.kind as ChangeKind) : 'other';
  return {
    ok: true,
    change: {
      summary: payload.summary,
      kind,
      startedAt: payload.timestamp ?? now,
      finishedAt: null,
      version: text(details.version) ?? text(details.revision),
      author: text(details.author),
      links: (links ?? []).map((l): ChangeLink => (l.text ? { href: l.href, text: l.text } : { href: l.href })),
      labels,
      source: 'pagerduty',
    },
  };
}

const Login = z.looseObject({ login: z.string() }).nullable().optional();
const OptionalUrl = z.string().max(8192).nullable().optional();

const GitHubDeploymentStatus = z.looseObject({
  deployment_status: z.looseObject({
    state: z.string().max(64),
    environment: z.string().max(255).optional(),
    description: z.string().max(1024).nullable().optional(),
    target_url: OptionalUrl,
    log_url: OptionalUrl,
    environment_url: OptionalUrl,
    created_at: Timestamp,
    creator: Login,
  }),
  deployment: z.looseObject({
    sha: z.string().max(64),
    ref: z.string().max(255),
    environment: z.string().max(255),
    description: z.string().max(1024).nullable().optional(),
    created_at: Timestamp,
    creator: Login,
  }),
  repository: z.looseObject({ full_name: z.string().min(1).max(255), html_url: OptionalUrl }),
  sender: Login,
});

export type GitHubParse = ChangeParse | { ok: 'ignored'; reason: string };

export function parseGitHubDeploymentStatus(body: unknown, now: number): GitHubParse {
  const parsed = GitHubDeploymentStatus.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesOf(parsed.error) };
  const { deployment_status: status, deployment, repository, sender } = parsed.data;
  if (status.state !== 'success') return { ok: 'ignored', reason: `deployment status ${status.state}: only success records a change` };
  const environment = status.environment || deployment.environment;
  const short = deployment.sha.slice(0, 7);
  const version = deployment.ref === deployment.sha ? short : deployment.ref;
  const links: ChangeLink[] = [];
  for (const [href, label] of [
    [status.log_url ?? status.target_url, 'deployment log'],
    [status.environment_url, environment],
    [repository.html_url ? `${repository.html_url}/commit/${deployment.sha}` : null, `commit ${short}`],
  ] as const) {
    if (href && /^https?:\/\//.test(href) && !links.some((l) => l.href === href)) links.push({ href, text: label });
  }
  const finishedAt = status.created_at ?? now;
  return {
    ok: true,
    change: {
      summary: (deployment.description || status.description || `Deployed ${repository.full_name} ${version} to ${environment}`).slice(0, 1024),
      kind: 'deploy',
      startedAt: Math.min(deployment.created_at ?? finishedAt, finishedAt),
      finishedAt,
      version,
      author: deployment.creator?.login ?? status.creator?.login ?? sender?.login ?? null,
      links,
      labels: { repository: repository.full_name, environment, sha: deployment.sha },
      source: 'github',
    },
  };
}

/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body under the
 * webhook's secret, compared in constant time.
 */
export function verifyGitHubSignature(secret: string, rawBody: Uint8Array, header: string | undefined): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<64 hex digits>' };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const presented = Buffer.from(m[1] as string, 'hex');
  if (!timingSafeEqual(presented, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
