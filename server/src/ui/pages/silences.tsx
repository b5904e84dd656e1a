/** @module Silences and maintenance windows: active, pending and recently expired ones, the form for a new one, and expiring one. */
import type { FC } from 'hono/jsx';
import { formatMatcher } from '../../domain/matchers.js';
import { silenceState, type Silence } from '../../domain/silence.js';
import { formatTime } from '../format.js';
import { Csrf } from '../layout.js';
import type { UiContext } from '../context.js';

/** What the form holds: as typed, so a refused one comes back as it was sent. */
export interface SilenceForm {
  matchers: string;
  kind: 'silence' | 'maintenance';
  startsAt: string;
  duration: string;
  endsAt: string;
  comment: string;
  /** Where the matchers came from, when drafted from an alert. */
  from?: { title: string; incidentId: number | null } | null;
}

export const EMPTY_SILENCE_FORM: SilenceForm = { matchers: '', kind: 'silence', startsAt: '', duration: '2h', endsAt: '', comment: '' };

/** Expired silences shown: the most recently ended. */
export const EXPIRED_SHOWN = 50;

const SilenceTable: FC<{ ui: UiContext; items: Silence[]; state: 'active' | 'pending' | 'expired'; now: number }> = ({ ui, items, state, now }) => (
  <div class="scroll">
    <table data-silences={state}>
      <thead>
        <tr>
          <th scope="col">Matchers</th>
          <th scope="col">Kind</th>
          <th scope="col">Starts</th>
          <th scope="col">Ends</th>
          <th scope="col">Created by</th>
          <th scope="col">Comment</th>
          {state !== 'expired' && ui.canWrite ? <th scope="col"></th> : null}
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr data-silence={s.id}>
            <td class="wrap">
              {s.matchers.map((m) => (
                <code class="term">{formatMatcher(m)}</code>
              ))}
            </td>
            <td>{s.kind}</td>
            <td>{formatTime(s.startsAt)}</td>
            <td>
              {formatTime(s.endsAt)}
              {silenceState(s, now) === 'expired' ? null : <div class="small muted">{s.endsAt - now < 86_400_000 * 365 ? `${Math.max(1, Math.round((s.endsAt - now) / 60_000))} min left` : 'far in the future'}</div>}
            </td>
            <td>{s.createdBy}</td>
            <td class="wrap">{s.comment}</td>
            {state !== 'expired' && ui.canWrite ? (
              <td>
                <form method="post" action={`/ui/silences/${encodeURIComponent(s.id)}/expire`}>
                  <Csrf ui={ui} />
                  <button type="submit" class="danger" data-action="expire">
                    Expire
                  </button>
                </form>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const NewSilence: FC<{ ui: UiContext; form: SilenceForm }> = ({ ui, form }) => (
  <section class="card" id="new-silence" aria-labelledby="new-silence-title">
    <h2 id="new-silence-title">New silence</h2>
    {form.from ? (
      <p class="small">
        Drafted from the labels of alert <strong>{form.from.title}</strong>
        {form.from.incidentId !== null ? (
          <>
            {' '}
            of <a href={`/ui/incidents/${form.from.incidentId}`}>incident #{form.from.incidentId}</a>
          </>
        ) : null}
        : remove the lines that should not have to match.
      </p>
    ) : null}
    <form method="post" action="/ui/silences" class="stack">
      <Csrf ui={ui} />
      <label>
        Matchers, one per line: name="value", name!="value", name=~"regex", name!~"regex" (RE2, fully anchored)
        <textarea name="matchers" rows={Math.min(12, Math.max(3, form.matchers.split('\n').length + 1))} required spellcheck={false}>
          {form.matchers}
        </textarea>
      </label>
      <div class="actions">
        <label>
          Kind
          <select name="kind">
            <option value="silence" selected={form.kind === 'silence'}>
              silence
            </option>
            <option value="maintenance" selected={form.kind === 'maintenance'}>
              maintenance window
            </option>
          </select>
        </label>
        <label>
          Starts (UTC, empty: now)
          <input type="datetime-local" name="startsAt" value={form.startsAt} />
        </label>
        <label>
          Duration
          <input type="text" name="duration" value={form.duration} size={8} placeholder="2h" />
        </label>
        <label>
          or ends (UTC)
          <input type="datetime-local" name="endsAt" value={form.endsAt} />
        </label>
      </div>
      <label>
        Comment (why)
        <textarea name="comment" rows={2} required maxlength={2000}>
          {form.comment}
        </textarea>
      </label>
      <div>
        <button type="submit" class="primary">
          Create silence
        </button>
      </div>
    </form>
  </section>
);

export const SilencesPage: FC<{ ui: UiContext; silences: Silence[]; form: SilenceForm; now: number }> = ({ ui, silences, form, now }) => {
  const by = (state: 'active' | 'pending' | 'expired') => silences.filter((s) => silenceState(s, now) === state);
  const expired = by('expired')
    .sort((a, b) => b.endsAt - a.endsAt)
    .slice(0, EXPIRED_SHOWN);
  return (
    <>
      <h1>Silences</h1>
      <p class="small muted">An alert that starts while a silence matches it never joins an incident and never pages; alerts already firing leave their incidents' firing count. A maintenance window does the same and says why.</p>
      {ui.canWrite ? <NewSilence ui={ui} form={form} /> : <p class="muted small">Your token has the read scope only: you cannot create or expire silences.</p>}
      {(['active', 'pending'] as const).map((state) => {
        const items = by(state);
        return (
          <section aria-labelledby={`silences-${state}`}>
            <h2 id={`silences-${state}`}>
              {state === 'active' ? 'Active' : 'Pending'} ({items.length})
            </h2>
            {items.length ? <SilenceTable ui={ui} items={items} state={state} now={now} /> : <p class="muted small">None.</p>}
          </section>
        );
      })}
      <section aria-labelledby="silences-expired">
        <h2 id="silences-expired">Expired (the {EXPIRED_SHOWN} most recent)</h2>
        {expired.length ? <SilenceTable ui={ui} items={expired} state="expired" now={now} /> : <p class="muted small">None.</p>}
      </section>
    </>
  );
};
