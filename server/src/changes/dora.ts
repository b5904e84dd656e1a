/**
 * @module DORA figures per service from its changes and incidents: the change failure rate
 * (changes followed by an incident on the service within the window, over all its changes)
 * and the time to restore after a failed change (from that incident's opening to its
 * resolution). Pure: times in, figures out.
 */
import type { Change } from '../domain/change.js';

export interface ServiceIncidentSpan {
  service: string;
  openedAt: number;
  /** Null while unresolved. */
  resolvedAt: number | null;
}

export interface ServiceDora {
  service: string;
  changes: number;
  failedChanges: number;
  /** failedChanges / changes; null without changes. */
  changeFailureRate: number | null;
  /** Mean over failed changes whose incident is resolved; null when there is none. */
  meanTimeToRestoreMs: number | null;
}

/** Figures per service that had changes, by name. `windowMs`: how soon after a change an incident counts as its failure. */
export function computeDora(changes: readonly Pick<Change, 'service' | 'startedAt'>[], incidents: readonly ServiceIncidentSpan[], windowMs: number): ServiceDora[] {
  const byService = new Map<string, ServiceIncidentSpan[]>();
  for (const i of incidents) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  for (const list of byService.values()) list.sort((a, b) => a.openedAt - b.openedAt);
  const out = new Map<string, { changes: number; failed: number; restores: number[] }>();
  for (const c of changes) {
    const row = out.get(c.service) ?? { changes: 0, failed: 0, restores: [] };
    out.set(c.service, row);
    row.changes++;
    const incident = (byService.get(c.service) ?? []).find((i) => i.openedAt >= c.startedAt && i.openedAt <= c.startedAt + windowMs);
    if (!incident) continue;
    row.failed++;
    if (incident.resolvedAt !== null) row.restores.push(incident.resolvedAt - incident.openedAt);
  }
  return [...out]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, r]) => ({
      service,
      changes: r.changes,
      failedChanges: r.failed,
      changeFailureRate: r.changes === 0 ? null : r.failed / r.changes,
      meanTimeToRestoreMs: r.restores.length === 0 ? null : Math.round(r.restores.reduce((a, b) => a + b, 0) / r.restores.length),
    }));
}
