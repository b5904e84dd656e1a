/**
 * @module Changes: deploys, configuration pushes, feature flags and infrastructure work on a
 * service. Half of all incidents follow one, so every incident is shown the changes before it.
 */

export const CHANGE_KINDS = ['deploy', 'config', 'feature_flag', 'infrastructure', 'other'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeLink {
  href: string;
  text?: string;
}

/** A change as recorded: times in ms since the epoch, `finishedAt` null while unknown or running. */
export interface Change {
  id: number;
  service: string;
  summary: string;
  kind: ChangeKind;
  startedAt: number;
  finishedAt: number | null;
  version: string | null;
  author: string | null;
  links: ChangeLink[];
  labels: Record<string, string>;
  /** Where it came from: `api`, `cli`, `pagerduty`, `github`, `argocd`… */
  source: string;
  receivedAt: number;
}

export type NewChange = Omit<Change, 'id'>;

/** A service of the catalogue as far as alerts are mapped to it (see `ServiceGraph.serviceFor`). */
export interface ServiceMapping {
  labels?: Record<string, string>;
  hosts?: string[];
}

/** RE2 syntax taken literally. */
const escapeRegex = (text: string) => text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/**
 * The matchers of a maintenance window on `service`, one set per way an alert is mapped to it
 * (each set becomes a silence): its `service` (or `app`) label; else, with neither label, the
 * catalogue's `match.labels`, then its `match.hosts` (the `host` label, or `instance` with a port).
 */
export function maintenanceMatchers(service: string, mapping: ServiceMapping | null): { name: string; value: string; isRegex: boolean; isEqual: boolean }[][] {
  const eq = (name: string, value: string) => ({ name, value, isRegex: false, isEqual: true });
  const unlabelled = [eq('service', ''), eq('app', '')];
  const sets = [[eq('service', service)], [eq('service', ''), eq('app', service)]];
  const labels = Object.entries(mapping?.labels ?? {});
  if (labels.length > 0) sets.push([...unlabelled, ...labels.map(([k, v]) => eq(k, v))]);
  const hosts = mapping?.hosts ?? [];
  if (hosts.length > 0) {
    const any = hosts.map(escapeRegex).join('|');
    sets.push([...unlabelled, { name: 'host', value: any, isRegex: true, isEqual: true }]);
    sets.push([...unlabelled, eq('host', ''), { name: 'instance', value: `(?:${any})(?::[0-9]+)?`, isRegex: true, isEqual: true }]);
  }
  return sets;
}
