/**
 * @module Silence pages under /ui/silences: the list, a form (drafted from an alert's labels
 * with `?alert=<id>`), create and expire. Through the same schema and services as
 * `/api/v1/silences`, so the same RE2 and duration rules apply; acting needs the write scope.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { formatMatcher, parseMatcherLines } from '../domain/matchers.js';
import type { TimeSkew } from '../domain/time.js';
import { statusOf } from '../http/errors.js';
import { SilenceRequest, silenceInputOf, silenceRequestProblem } from '../http/routes/silences.js';
import { createSilence, expireSilence, listSilencesByState, silenceDraftFromAlert, type SilenceDeps } from '../services/silences.js';
import { SilencesPage, EMPTY_SILENCE_FORM, type SilenceForm } from './pages/silences.js';
import type { PageHelpers } from './problem-routes.js';
import type { UiEnv } from './session.js';

type Flash = { kind: 'ok' | 'error'; text: string } | null;

const DONE: Record<string, string> = {
  created: 'Silence created.',
  expired: 'Silence expired: the alerts it held back are released.',
};

const AlertId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const SilenceId = z.string().min(1).max(128);
const field = (form: Record<string, unknown>, name: string, max: number) => (typeof form[name] === 'string' ? (form[name] as string).slice(0, max) : '');
/** A `datetime-local` value is UTC here, as every time the UI shows; anything else goes to the schema as typed. */
const utc = (value: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : value);

export function silencePages(app: Hono<UiEnv>, deps: SilenceDeps & { timeSkew: TimeSkew }, { page, notFound }: PageHelpers): void {
  const render = async (c: Context<UiEnv>, form: SilenceForm, status = 200, flash: Flash = null) => {
    const silences = await listSilencesByState(deps, 'all');
    return page(c, 'silences', 'Silences', <SilencesPage ui={c.get('ui')} silences={silences} form={form} now={deps.clock.now()} />, status, flash);
  };
  const refused = (c: Context<UiEnv>, form: SilenceForm) => render(c, form, 403, { kind: 'error', text: 'Your token lacks the write scope: you can look but not act.' });

  app.get('/ui/silences', async (c) => {
    const done = c.req.query('done');
    const flash: Flash = done && Object.hasOwn(DONE, done) ? { kind: 'ok', text: DONE[done] as string } : null;
    const alert = c.req.query('alert');
    if (alert === undefined) return render(c, EMPTY_SILENCE_FORM, 200, flash);
    const id = AlertId.safeParse(alert);
    if (!id.success) return notFound(c, 'silences', 'There is no such alert.');
    const draft = await silenceDraftFromAlert(deps, id.data);
    if (!draft.ok) return notFound(c, 'silences', draft.error.message);
    const form: SilenceForm = { ...EMPTY_SILENCE_FORM, matchers: draft.value.matchers.map(formatMatcher).join('\n'), from: { title: draft.value.title, incidentId: draft.value.incidentId } };
    return render(c, form, 200, flash);
  });

  app.post('/ui/silences', async (c) => {
    const body = await c.req.parseBody();
    const form: SilenceForm = {
      matchers: field(body, 'matchers', 20_000),
      kind: body.kind === 'maintenance' ? 'maintenance' : 'silence',
      startsAt: field(body, 'startsAt', 64).trim(),
      duration: field(body, 'duration', 64).trim(),
      endsAt: field(body, 'endsAt', 64).trim(),
      comment: field(body, 'comment', 4000),
    };
    if (!c.get('ui').canWrite) return refused(c, form);
    const lines = parseMatcherLines(form.matchers);
    if (!lines.ok) return render(c, form, 400, { kind: 'error', text: `invalid silence: matchers: ${lines.message}` });
    // An end time, when given, wins over the duration (which the form fills in by default).
    const request = SilenceRequest.safeParse({
      kind: form.kind,
      matchers: lines.matchers,
      ...(form.startsAt ? { startsAt: utc(form.startsAt) } : {}),
      ...(form.endsAt ? { endsAt: utc(form.endsAt) } : { duration: form.duration }),
      comment: form.comment,
    });
    if (!request.success) return render(c, form, 400, { kind: 'error', text: silenceRequestProblem(request.error).message });
    const input = silenceInputOf(request.data, deps.clock.now(), deps.timeSkew);
    if (!input.ok) return render(c, form, 400, { kind: 'error', text: input.message });
    const created = await createSilence(deps, input.input, c.get('ui').principal.name);
    if (!created.ok) return render(c, form, statusOf(created.error.code), { kind: 'error', text: `invalid silence: ${created.error.message}` });
    return c.redirect('/ui/silences?done=created', 303);
  });

  app.post('/ui/silences/:id/expire', async (c) => {
    if (!c.get('ui').canWrite) return refused(c, EMPTY_SILENCE_FORM);
    const id = SilenceId.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'silences', 'There is no such silence.');
    const expired = await expireSilence(deps, id.data);
    if (!expired.ok) return render(c, EMPTY_SILENCE_FORM, statusOf(expired.error.code), { kind: 'error', text: expired.error.message });
    return c.redirect('/ui/silences?done=expired', 303);
  });
}
