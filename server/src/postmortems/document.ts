/**
 * @module An incident's postmortem: what it holds, the action items found in its notes, and
 * its Markdown rendering. Pure: the service gathers the facts (services/postmortems.ts).
 *
 * Alert text is data: titles, labels, annotations and every message that quotes them are
 * escaped so that no Markdown renderer turns them into links, images, HTML or structure
 * (see `escapeMarkdown`).
 */
import type { AlertRecord } from '../domain/alert.js';
import type { Change } from '../domain/change.js';
import type { IncidentRecord, TimelineEntry } from '../domain/incident.js';

export interface PeriodImpact {
  period: { start: number; end: number };
  downtimeMs: number;
  allowedDowntimeMs: number;
  budgetSpentRatio: number | null;
}

export interface ServiceImpact {
  service: string;
  objectivePpm: number;
  downtimeMs: number;
  periods: PeriodImpact[];
}

/** Where a response or resolution target ended up (see sla/targets.ts). */
export interface TargetOutcome {
  targetMs: number;
  elapsedMs: number;
  state: string;
  met: boolean | null;
}

export interface ActionItem {
  text: string;
  actor: string;
  at: number;
  /** The note's timeline entry. */
  entryId: number;
}

export interface SimilarIncident {
  id: number;
  title: string;
  status: string;
  priority: string;
  service: string | null;
  openedAt: number;
  resolvedAt: number | null;
}

export interface ProblemCandidateRef {
  id: string;
  name: string;
  state: string;
  via: 'member' | 'nearest';
  similarity: number | null;
}

export interface KnownErrorRef {
  problemId: number;
  title: string;
  status: string;
  workaround: string | null;
  similarity: number;
}

/** A change before the incident, ranked as the incident API ranks it. */
export type RelatedChange = Change & { score: number; reasons: string[]; likelyCause: boolean };

export interface Postmortem {
  generatedAt: number;
  incident: IncidentRecord;
  /** Every service the incident reached, by name. */
  services: string[];
  impact: {
    services: ServiceImpact[];
    response: TargetOutcome | null;
    resolution: TargetOutcome | null;
  };
  timeline: { entries: TimelineEntry[]; total: number };
  rootCause: {
    service: string | null;
    /** The first alert of the root-cause service (or the incident's first alert). */
    alert: AlertRecord | null;
    /** Why: the root-cause entries and the entry by which that alert opened or joined the incident. */
    reasons: TimelineEntry[];
  };
  changes: { from: number; to: number; items: RelatedChange[] };
  similar: { candidates: ProblemCandidateRef[]; incidents: SimilarIncident[] };
  knownError: KnownErrorRef | null;
  actionItems: ActionItem[];
}

/**
 * Lines of a note that are action items: `TODO …`, `TODO: …`, `- [ ] …` (also with `*` or a
 * number) and `action: …`, case-insensitive, after optional indentation. The marker is
 * dropped; an empty item is ignored. A ticked box (`- [x]`) is done, not an action item.
 */
const ACTION_LINE = /^\s*(?:todo\b:?|(?:[-*+]|\d+[.)])\s+\[ \]|action\s*:)\s*(.*)$/i;

export function actionItemsOf(notes: readonly TimelineEntry[]): ActionItem[] {
  const items: ActionItem[] = [];
  for (const note of notes) {
    if (note.kind !== 'note') continue;
    for (const line of note.message.split(/\r?\n/)) {
      const text = ACTION_LINE.exec(line)?.[1]?.trim();
      if (text) items.push({ text, actor: note.actor, at: note.at, entryId: note.id });
    }
  }
  return items;
}

/** Values longer than this are cut in the document (the API has them whole). */
const MAX_TEXT = 500;

/**
 * The punctuation that can do something inside a line: emphasis, code, links and images,
 * HTML and entities, table cells, strikethrough, and the `:` `.` `@` by which URLs, `www.`
 * names and e-mail addresses are autolinked. Characters that act only at the start of a
 * line (`-`, `+`, `=`) stay as they are: escaped text never starts one.
 */
const ACTIVE = /[\\`*_[\]()<>&!#|~:.@{}]/g;

/**
 * Text from alerts and people as inert Markdown: whitespace (line breaks included) becomes
 * one space, so it cannot start a block (heading, list, table row, fence); control
 * characters go; and every active character is backslash-escaped, which CommonMark renders
 * as the character itself. So `[x](y)`, `![x](y)`, `<b>`, `&amp;`, code spans and emphasis
 * stay literal, and URLs (`http\://…`, `www\.…`) are not autolinked.
 */
export function escapeMarkdown(text: string): string {
  const flat = text.replace(/\p{Cc}/gu, ' ').replace(/\s+/gu, ' ').trim();
  const cut = flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat;
  return cut.replace(ACTIVE, '\\$&');
}

const iso = (ms: number) => new Date(ms).toISOString();
const minute = (ms: number) => iso(ms).slice(0, 16).replace('T', ' ') + 'Z';

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m || (!d && !h) ? `${m}m` : ''].filter(Boolean).join(' ');
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
const objective = (ppm: number) => `${(ppm / 10_000).toFixed(3).replace(/\.?0+$/, '')} %`;

function target(name: string, t: TargetOutcome | null): string | null {
  if (!t) return null;
  const outcome = t.met === true ? 'met' : t.met === false ? 'missed' : t.state === 'breached' ? 'breached (still running)' : 'still running';
  return `- ${name} target ${formatDuration(t.targetMs)}: ${outcome} (${formatDuration(t.elapsedMs)} used)`;
}

function labelsLine(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return pairs.length === 0 ? '(none)' : pairs.map(([k, v]) => `${escapeMarkdown(k)}\\=${escapeMarkdown(v)}`).join(', ');
}

/** The document in Markdown (CommonMark with GFM tables). */
export function renderPostmortemMarkdown(p: Postmortem): string {
  const i = p.incident;
  const out: string[] = [];
  const duration = (i.resolvedAt ?? p.generatedAt) - i.openedAt;
  out.push(`# Postmortem: incident #${i.id} — ${escapeMarkdown(i.title)}`, '');
  out.push(`Generated ${iso(p.generatedAt)} by Sightline from the incident's record. Alert text is quoted as data.`, '');

  out.push('## Summary', '');
  out.push(`- Status: ${i.status}${i.resolution ? ` (${escapeMarkdown(i.resolution)})` : ''}`);
  out.push(`- Priority: ${i.priority} (impact ${i.impact}, urgency ${i.urgency})`);
  out.push(`- Opened: ${iso(i.openedAt)}`);
  if (i.acknowledgedAt !== null) out.push(`- Acknowledged: ${iso(i.acknowledgedAt)} (after ${formatDuration(i.acknowledgedAt - i.openedAt)})`);
  out.push(i.resolvedAt !== null ? `- Resolved: ${iso(i.resolvedAt)} (after ${formatDuration(duration)})` : `- Not resolved yet (open for ${formatDuration(duration)})`);
  out.push(`- Services: ${p.services.length ? p.services.map(escapeMarkdown).join(', ') : '(none)'}`);
  if (i.host) out.push(`- Host: ${escapeMarkdown(i.host)}`);
  out.push(`- Alerts: ${i.alertCount}`);
  if (i.assignee) out.push(`- Assignee: ${escapeMarkdown(i.assignee)}`);
  out.push('');

  out.push('## Impact', '');
  if (p.impact.services.length === 0) out.push('No service the incident reached has an SLA policy: no SLA downtime was counted.');
  else {
    out.push('| Service | Objective | Period | Downtime | Error budget spent |', '|---|---|---|---|---|');
    for (const s of p.impact.services) {
      for (const period of s.periods) {
        const spent = period.budgetSpentRatio === null ? 'no budget' : `${percent(period.budgetSpentRatio)} of ${formatDuration(period.allowedDowntimeMs)}`;
        out.push(`| ${escapeMarkdown(s.service)} | ${objective(s.objectivePpm)} | ${minute(period.period.start)} – ${minute(period.period.end)} | ${formatDuration(period.downtimeMs)} | ${spent} |`);
      }
    }
  }
  const targets = [target('Response', p.impact.response), target('Resolution', p.impact.resolution)].filter((x): x is string => x !== null);
  if (targets.length) out.push('', ...targets);
  out.push('');

  out.push('## Timeline', '');
  for (const e of p.timeline.entries) out.push(`- ${minute(e.at)} **${escapeMarkdown(e.kind)}** (${escapeMarkdown(e.actor)}): ${escapeMarkdown(e.message)}`);
  if (p.timeline.total > p.timeline.entries.length) out.push(`- … ${p.timeline.total - p.timeline.entries.length} more entries: \`GET /api/v1/incidents/${i.id}/timeline\``);
  out.push('');

  out.push('## Root-cause candidate', '');
  const rc = p.rootCause;
  out.push(rc.service ? `Service: ${escapeMarkdown(rc.service)}` : 'No service named.');
  if (rc.alert) {
    const a = rc.alert;
    out.push('', `First alert: ${escapeMarkdown(a.title)} (${escapeMarkdown(a.severity)}, ${escapeMarkdown(a.source)}, started ${iso(a.startsAt)})`);
    out.push('', `- Labels: ${labelsLine(a.labels)}`, `- Annotations: ${labelsLine(a.annotations)}`);
  }
  if (rc.reasons.length) {
    out.push('', 'Why:');
    for (const r of rc.reasons) out.push(`- ${minute(r.at)} ${escapeMarkdown(r.message)}`);
  }
  out.push('');

  out.push('## Related changes', '');
  out.push(`Changes on the incident's services and their neighbours since ${minute(p.changes.from)}, the likeliest cause first:`, '');
  if (p.changes.items.length === 0) out.push('None recorded.');
  for (const c of p.changes.items) {
    const who = c.author ? ` by ${escapeMarkdown(c.author)}` : '';
    const version = c.version ? ` ${escapeMarkdown(c.version)}` : '';
    const cause = c.likelyCause ? '**likely cause** ' : '';
    out.push(`- ${cause}${minute(c.startedAt)} ${escapeMarkdown(c.service)}: ${c.kind}${version}${who} — ${escapeMarkdown(c.summary)} (change #${c.id}; score ${c.score.toFixed(2)}: ${c.reasons.map(escapeMarkdown).join('; ')})`);
  }
  out.push('');

  out.push('## Similar past incidents', '');
  if (p.knownError) {
    const k = p.knownError;
    out.push(`Recognised as known error #${k.problemId} ${escapeMarkdown(k.title)} (${k.status}, similarity ${k.similarity.toFixed(2)}). Workaround: ${k.workaround ? escapeMarkdown(k.workaround) : '(none recorded)'}`, '');
  }
  for (const c of p.similar.candidates) {
    const how = c.via === 'member' ? 'member' : `nearest, similarity ${(c.similarity ?? 0).toFixed(2)}`;
    out.push(`Problem candidate ${escapeMarkdown(c.id)}: ${escapeMarkdown(c.name)} (${c.state}; ${how})`, '');
  }
  if (p.similar.incidents.length === 0) out.push('None found.');
  for (const s of p.similar.incidents) {
    out.push(`- #${s.id} ${escapeMarkdown(s.title)} (${s.priority}, ${s.status}, opened ${iso(s.openedAt)}${s.service ? `, ${escapeMarkdown(s.service)}` : ''})`);
  }
  out.push('');

  out.push('## Action items', '');
  if (p.actionItems.length === 0) out.push('None in the notes (a note line starting `TODO`, `- [ ]` or `action:` is one).');
  for (const a of p.actionItems) out.push(`- [ ] ${escapeMarkdown(a.text)} (${escapeMarkdown(a.actor)}, ${minute(a.at)})`);
  out.push('');
  return out.join('\n');
}
