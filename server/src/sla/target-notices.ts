/**
 * @module Which response/resolution warnings an incident has earned: 75 % and 90 % of a
 * target used while its clock still runs, and the breach (also after the clock stopped
 * late). Each level is written once; when several are new at once (a policy added to an
 * old incident, a pass after a pause) only the highest is announced, the others are
 * recorded as announced with it.
 */
import type { IncidentTargets } from './evaluate.js';
import type { TargetEvaluation } from './targets.js';

export const TARGET_KINDS = ['response', 'resolution'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export const NOTICE_LEVELS = ['75', '90', 'breached'] as const;
export type NoticeLevel = (typeof NOTICE_LEVELS)[number];

export interface TargetNotice {
  target: TargetKind;
  level: NoticeLevel;
  /** The instant the level was reached (event time). */
  at: number;
  /** Whether this notice is announced (the highest new level of its target). */
  announce: boolean;
}

function reached(e: TargetEvaluation): { level: NoticeLevel; at: number | null }[] {
  // Warnings only while the clock runs; a clock stopped in time earns nothing, one stopped late its breach.
  const running = e.met === null;
  const out: { level: NoticeLevel; at: number | null }[] = [];
  if (running && e.state !== 'ok') out.push({ level: '75', at: e.warningAt[75] });
  if (running && (e.state === 'warning-90' || e.state === 'breached')) out.push({ level: '90', at: e.warningAt[90] });
  if (e.state === 'breached') out.push({ level: 'breached', at: e.dueAt });
  return out;
}

/** New notices for `targets` given the levels already written (keys `<target>:<level>`). */
export function newTargetNotices(targets: IncidentTargets, written: ReadonlySet<string>, now: number): TargetNotice[] {
  const out: TargetNotice[] = [];
  for (const target of TARGET_KINDS) {
    const evaluation = targets[target];
    if (!evaluation) continue;
    const fresh = reached(evaluation).filter((r) => !written.has(`${target}:${r.level}`));
    fresh.forEach((r, i) => out.push({ target, level: r.level, at: Math.min(r.at ?? now, now), announce: i === fresh.length - 1 }));
  }
  return out;
}
