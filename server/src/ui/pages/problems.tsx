/** @module Problem management: ranked candidates, one candidate with its members and recurrence, problems and known errors. */
import type { FC } from 'hono/jsx';
import type { IncidentSummary, ProblemTimelineEntry } from '../../db/problems-repo.js';
import { PRIORITIES } from '../../domain/incident.js';
import { CANDIDATE_STATES, PROBLEM_STATUSES, type CandidateImpact, type CandidateState, type ProblemRecord, type ProblemStatus, type StoredCandidate } from '../../domain/problem.js';
import type { CandidateDetail, ProblemDetail } from '../../services/problems.js';
import { BarChart } from '../charts.js';
import { formatAgo, formatDuration, formatTime, isoTime } from '../format.js';
import { Csrf } from '../layout.js';
import type { UiContext } from '../context.js';
import { Ago, IncidentCells } from './incidents.js';

const WEEK_MS = 7 * 86_400_000;

export const CandidateBadge: FC<{ badge: string }> = ({ badge }) => <span class={`pbadge ${badge}`}>{badge}</span>;

/** 'open' lists what still needs a decision: new and under review. */
export type CandidateStateFilter = 'open' | 'all' | CandidateState;

export const CandidateList: FC<{ candidates: StoredCandidate[]; state: CandidateStateFilter; now: number }> = ({ candidates, state, now }) => (
  <>
    <h1>Problem candidates</h1>
    <p class="muted small">
      Recurring faults found among the incidents of the lookback window, the highest impact first: priority points of the incidents (P1 10, P2 3, P3 1, P4 0.3, P5 0.1) plus 60 per hour of SLA downtime they caused on each
      service, × the trend (incidents per 30 days lately against before, 0.5–2). Promote one to record it as a problem.
    </p>
    <form class="filters" method="get" action="/ui/problems/candidates" aria-label="Filter candidates">
      <label>
        Review state
        <select name="state">
          {['open', 'all', ...CANDIDATE_STATES].map((s) => (
            <option value={s} selected={s === state}>
              {s === 'open' ? 'new and under review' : s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
    </form>
    {candidates.length === 0 ? <p class="card">No candidates here. Candidates appear once at least a few incidents recur (the refresh runs periodically).</p> : null}
    <table>
      <thead>
        <tr>
          <th scope="col" class="num">#</th>
          <th scope="col">Badge</th>
          <th scope="col">Candidate</th>
          <th scope="col" class="num">Impact</th>
          <th scope="col" class="num">Incidents</th>
          <th scope="col" class="num">Per week</th>
          <th scope="col">Services</th>
          <th scope="col">Last seen</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {candidates.map((c, i) => (
          <tr data-candidate={c.id}>
            <td class="num">{i + 1}</td>
            <td>
              <CandidateBadge badge={c.badge} />
            </td>
            <td>
              <a href={`/ui/problems/candidates/${encodeURIComponent(c.id)}`}>{c.name}</a>
              {c.problemId !== null ? (
                <div class="small">
                  <a href={`/ui/problems/${c.problemId}`}>problem #{c.problemId}</a>
                </div>
              ) : null}
            </td>
            <td class="num">
              <strong>{formatScore(c.impact.score)}</strong>
              <div class="small muted">{impactInputs(c.impact)}</div>
            </td>
            <td class="num">{c.count}</td>
            <td class="num">{c.recurrencePerWeek.toFixed(1)}</td>
            <td class="small">{c.services.join(', ') || '—'}</td>
            <td>
              <Ago at={c.lastSeen} now={now} />
            </td>
            <td>
              <span class={`status ${c.state}`}>{c.state.replace('_', ' ')}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </>
);

const formatScore = (score: number) => (score >= 100 ? Math.round(score).toString() : score.toFixed(1));

/** The inputs of a candidate's impact score, in words: `2×P1 1×P3 · 3h 10m down · 4 services · trend ×1.5`. */
export function impactInputs(impact: CandidateImpact): string {
  const priorities = PRIORITIES.flatMap((p) => (impact.incidentsByPriority[p] ? [`${impact.incidentsByPriority[p]}×${p}`] : [])).join(' ');
  const parts = [priorities || 'no incidents', impact.downtimeMs > 0 ? `${formatDuration(impact.downtimeMs)} SLA downtime` : 'no SLA downtime'];
  if (impact.services > 1) parts.push(`${impact.services} services`);
  if (impact.trend !== 1) parts.push(`trend ×${impact.trend}`);
  return parts.join(' · ');
}

/** Member incidents per week, oldest week first, from the first member week to now. */
export function weeklyCounts(incidents: readonly { openedAt: number }[], now: number): { start: number; count: number }[] {
  if (incidents.length === 0) return [];
  const first = Math.min(...incidents.map((i) => i.openedAt));
  const weeks = Math.max(1, Math.ceil((now - first) / WEEK_MS));
  const start = now - weeks * WEEK_MS;
  const counts = Array.from({ length: weeks }, (_, k) => ({ start: start + k * WEEK_MS, count: 0 }));
  for (const i of incidents) {
    const k = Math.min(weeks - 1, Math.max(0, Math.floor((i.openedAt - start) / WEEK_MS)));
    (counts[k] as { count: number }).count++;
  }
  return counts;
}

const IncidentTable: FC<{ incidents: (IncidentSummary & { linkedBy?: string })[]; now: number; caption: string }> = ({ incidents, now, caption }) => (
  <table>
    <caption class="small muted">{caption}</caption>
    <thead>
      <tr>
        <th scope="col">#</th>
        <th scope="col">Priority</th>
        <th scope="col">Status</th>
        <th scope="col">Title</th>
        <th scope="col">Service / host</th>
        <th scope="col">Opened</th>
        <th scope="col">Resolved after</th>
      </tr>
    </thead>
    <tbody>
      {incidents.map((i) => (
        <tr class={i.priority}>
          <IncidentCells incident={i}>{i.linkedBy ? <div class="small muted">linked by {i.linkedBy}</div> : null}</IncidentCells>
          <td class="small">
            {i.service ?? '—'} / {i.host ?? '—'}
          </td>
          <td>
            <Ago at={i.openedAt} now={now} />
          </td>
          <td>{i.resolvedAt !== null ? formatDuration(i.resolvedAt - i.openedAt) : '—'}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const CandidateView: FC<{ ui: UiContext; detail: CandidateDetail; now: number }> = ({ ui, detail, now }) => {
  const c = detail.candidate;
  const weeks = weeklyCounts(detail.incidents, now);
  const canAct = ui.canWrite && c.state !== 'promoted';
  return (
    <>
      <p class="small">
        <a href="/ui/problems/candidates">← All candidates</a>
      </p>
      <h1>
        <CandidateBadge badge={c.badge} /> {c.name} <span class={`status ${c.state}`}>{c.state.replace('_', ' ')}</span>
      </h1>
      <div class="grid">
        <section class="card" aria-labelledby="cfacts">
          <h2 id="cfacts">What recurs</h2>
          <dl class="facts">
            <dt>Example title</dt>
            <dd>
              <code>{c.exampleTitle}</code>
            </dd>
            <dt>Top terms</dt>
            <dd>{c.topTerms.length ? c.topTerms.map((t) => <code class="term">{t}</code>) : '—'}</dd>
            <dt>Incidents</dt>
            <dd>
              {c.count} · {c.recurrencePerWeek.toFixed(1)} a week
            </dd>
            <dt>Seen</dt>
            <dd>
              {formatTime(c.firstSeen)} → {formatTime(c.lastSeen)}
            </dd>
            <dt>Services</dt>
            <dd>{c.services.join(', ') || '—'}</dd>
            <dt>Hosts</dt>
            <dd class="small">{c.hosts.slice(0, 12).join(', ') || '—'}{c.hosts.length > 12 ? ` and ${c.hosts.length - 12} more` : ''}</dd>
            <dt>Impact</dt>
            <dd>
              <strong>{formatScore(c.impact.score)}</strong> <span class="small muted">— {impactInputs(c.impact)}; {c.impact.recent} incident(s) in the last 30 days, {c.impact.earlier} in the 30 before</span>
            </dd>
            <dt>SLA downtime</dt>
            <dd>
              {formatDuration(c.totalDowntimeMs)} caused in total · mean time to resolve {c.mttrMs === null ? '—' : formatDuration(c.mttrMs)}
            </dd>
            <dt>Cohesion</dt>
            <dd>{c.cohesion.toFixed(2)}</dd>
            {c.stateNote ? (
              <>
                <dt>Review note</dt>
                <dd>
                  {c.stateNote} <span class="small muted">— {c.stateChangedBy}</span>
                </dd>
              </>
            ) : null}
            {detail.problem ? (
              <>
                <dt>Problem</dt>
                <dd>
                  <a href={`/ui/problems/${detail.problem.id}`}>
                    #{detail.problem.id} {detail.problem.title}
                  </a>
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <section aria-labelledby="recurrence">
          <h2 id="recurrence">Recurrence</h2>
          <BarChart
            title={`Incidents per week${detail.incidents.length < c.count ? ` (newest ${detail.incidents.length} of ${c.count})` : ''}`}
            bars={weeks.map((w) => ({ label: new Date(w.start).toISOString().slice(5, 10), value: w.count }))}
          />
        </section>
      </div>
      {canAct ? (
        <section class="card" aria-labelledby="review">
          <h2 id="review">Review</h2>
          <div class="actions">
            {c.state === 'new' ? (
              <form method="post" action={`/ui/problems/candidates/${encodeURIComponent(c.id)}/review`}>
                <Csrf ui={ui} />
                <button type="submit">Start review</button>
              </form>
            ) : null}
            {c.state !== 'dismissed' ? (
              <form method="post" action={`/ui/problems/candidates/${encodeURIComponent(c.id)}/dismiss`}>
                <Csrf ui={ui} />
                <label>
                  Why dismiss
                  <input type="text" name="note" maxlength={2000} size={30} />
                </label>
                <button type="submit" class="danger">
                  Dismiss
                </button>
              </form>
            ) : null}
          </div>
          <form method="post" action={`/ui/problems/candidates/${encodeURIComponent(c.id)}/promote`} class="actions">
            <Csrf ui={ui} />
            <label>
              Problem title
              <input type="text" name="title" value={c.name} maxlength={500} size={40} required />
            </label>
            <label>
              Owner
              <input type="text" name="owner" maxlength={256} size={16} />
            </label>
            <label>
              Note
              <input type="text" name="note" maxlength={2000} size={30} />
            </label>
            <button type="submit" class="primary">
              Promote to problem
            </button>
          </form>
        </section>
      ) : null}
      <section aria-labelledby="members">
        <h2 id="members">Member incidents</h2>
        <IncidentTable incidents={detail.incidents} now={now} caption={`${detail.incidents.length} of ${c.count} incident(s), newest first`} />
      </section>
    </>
  );
};

export type ProblemStatusFilter = 'all' | ProblemStatus;

export const ProblemList: FC<{ problems: ProblemRecord[]; status: ProblemStatusFilter; now: number }> = ({ problems, status, now }) => (
  <>
    <h1>{status === 'known_error' ? 'Known errors' : 'Problems'}</h1>
    <form class="filters" method="get" action="/ui/problems" aria-label="Filter problems">
      <label>
        Status
        <select name="status">
          {['all', ...PROBLEM_STATUSES].map((s) => (
            <option value={s} selected={s === status}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
      <a href="/ui/problems?status=known_error">Known errors</a>
      <a href="/ui/problems/candidates">Candidates</a>
    </form>
    {problems.length === 0 ? <p class="card">No problems here yet: promote a problem candidate to record one.</p> : null}
    <table>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Status</th>
          <th scope="col">Title</th>
          <th scope="col">Workaround</th>
          <th scope="col">Owner</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {problems.map((p) => (
          <tr data-problem={String(p.id)}>
            <td>
              <a href={`/ui/problems/${p.id}`}>{p.id}</a>
            </td>
            <td>
              <span class={`status ${p.status}`}>{p.status.replace('_', ' ')}</span>
            </td>
            <td>
              <a href={`/ui/problems/${p.id}`}>{p.title}</a>
            </td>
            <td class="small">{p.workaround ? (p.workaround.length > 140 ? `${p.workaround.slice(0, 139)}…` : p.workaround) : '—'}</td>
            <td>{p.owner ?? '—'}</td>
            <td>{formatAgo(p.updatedAt, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </>
);

export const ProblemView: FC<{ ui: UiContext; detail: ProblemDetail; now: number }> = ({ ui, detail, now }) => {
  const p = detail.problem;
  return (
    <>
      <p class="small">
        <a href="/ui/problems">← All problems</a>
      </p>
      <h1>
        #{p.id} {p.title} <span class={`status ${p.status}`}>{p.status.replace('_', ' ')}</span>
      </h1>
      <div class="grid">
        <section class="card" aria-labelledby="pfacts">
          <h2 id="pfacts">Problem</h2>
          <dl class="facts">
            <dt>Owner</dt>
            <dd>{p.owner ?? '—'}</dd>
            <dt>Root cause</dt>
            <dd>{p.rootCause ?? '—'}</dd>
            <dt>Workaround</dt>
            <dd>{p.workaround ? <pre>{p.workaround}</pre> : '—'}</dd>
            <dt>From candidate</dt>
            <dd>{p.candidateId ? <a href={`/ui/problems/candidates/${encodeURIComponent(p.candidateId)}`}>{p.candidateId}</a> : '—'}</dd>
            <dt>Recorded</dt>
            <dd>{formatTime(p.createdAt)}</dd>
            <dt>Known error since</dt>
            <dd>{formatTime(p.knownErrorAt)}</dd>
            <dt>Resolved</dt>
            <dd>{formatTime(p.resolvedAt)}</dd>
          </dl>
        </section>
        {ui.canWrite ? (
          <section class="card" aria-labelledby="pedit">
            <h2 id="pedit">Update</h2>
            <form method="post" action={`/ui/problems/${p.id}`} class="stack">
              <Csrf ui={ui} />
              <label>
                Status
                <select name="status">
                  {PROBLEM_STATUSES.map((s) => (
                    <option value={s} selected={s === p.status}>
                      {s.replace('_', ' ')}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Owner
                <input type="text" name="owner" value={p.owner ?? ''} maxlength={256} />
              </label>
              <label>
                Root cause
                <textarea name="rootCause" rows={2} maxlength={10000}>
                  {p.rootCause ?? ''}
                </textarea>
              </label>
              <label>
                Workaround (needed for a known error)
                <textarea name="workaround" rows={3} maxlength={10000}>
                  {p.workaround ?? ''}
                </textarea>
              </label>
              <label>
                Note
                <input type="text" name="note" maxlength={10000} />
              </label>
              <button type="submit" class="primary">
                Save
              </button>
            </form>
          </section>
        ) : null}
      </div>
      <section aria-labelledby="pincidents">
        <h2 id="pincidents">Linked incidents</h2>
        <IncidentTable incidents={detail.incidents} now={now} caption={`${detail.incidents.length} incident(s), newest first`} />
      </section>
      <section aria-labelledby="ptimeline">
        <h2 id="ptimeline">Timeline</h2>
        <ol class="timeline card">
          {[...detail.timeline].reverse().map((t: ProblemTimelineEntry) => (
            <li>
              <time datetime={isoTime(t.at)}>{formatTime(t.at)}</time> <span class="kind">{t.kind.replace('_', ' ')}</span>
              {t.message} <span class="small muted">— {t.actor}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
};
