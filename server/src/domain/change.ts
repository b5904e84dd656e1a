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
