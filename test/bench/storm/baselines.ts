/**
 * @module Baseline groupings the benchmark compares Sightline against, run on the same
 * alert episodes:
 * - Alertmanager `group_by: [alertname, instance]` with a 5-minute window: alerts with the
 *   same alertname and instance share a group while its activity is contiguous, i.e. the
 *   next one starts at most 5 minutes after the group's latest firing ended;
 * - group by `service` label with a 10-minute window; an alert without one falls back to
 *   alertname + instance, as nobody would send every unlabelled alert to one group.
 * - group by host with a 10-minute gap: the host (`host`/`hostname`/`nodename` label, else
 *   `instance` without its port), every alert of a host together while its activity is
 *   contiguous; an alert without a host falls back to alertname + instance.
 * A missing label is the empty value, as in Alertmanager.
 */
import { hostOf } from '../../../server/src/domain/alert.js';

export interface BaselineEpisode {
  labels: Record<string, string>;
  startsAt: number;
  endsAt: number;
}

const MIN = 60_000;

/**
 * Groups episodes by key; a group stays joinable until `windowMs` after its latest end.
 * Returns a group number per episode, in input order.
 */
export function groupByKeyInWindow(episodes: readonly BaselineEpisode[], keyOf: (labels: Record<string, string>) => string, windowMs: number): number[] {
  const order = episodes.map((_, i) => i).sort((a, b) => (episodes[a] as BaselineEpisode).startsAt - (episodes[b] as BaselineEpisode).startsAt || a - b);
  const open = new Map<string, { group: number; until: number }>();
  const groups = new Array<number>(episodes.length);
  let next = 0;
  for (const i of order) {
    const e = episodes[i] as BaselineEpisode;
    const key = keyOf(e.labels);
    let current = open.get(key);
    if (!current || e.startsAt > current.until) {
      current = { group: next++, until: 0 };
      open.set(key, current);
    }
    current.until = Math.max(current.until, e.endsAt + windowMs);
    groups[i] = current.group;
  }
  return groups;
}

const alertnameInstance = (labels: Record<string, string>) => `${labels.alertname ?? ''}\u0000${labels.instance ?? ''}`;

export function groupAlertmanagerStyle(episodes: readonly BaselineEpisode[]): number[] {
  return groupByKeyInWindow(episodes, alertnameInstance, 5 * MIN);
}

export function groupByServiceLabel(episodes: readonly BaselineEpisode[]): number[] {
  return groupByKeyInWindow(episodes, (labels) => (labels.service ? `service=${labels.service}` : alertnameInstance(labels)), 10 * MIN);
}

export function groupByHost(episodes: readonly BaselineEpisode[]): number[] {
  return groupByKeyInWindow(episodes, (labels) => {
    const host = hostOf(labels);
    return host ? `host=${host}` : alertnameInstance(labels);
  }, 10 * MIN);
}
