/**
 * @module What two alerts have in common beyond their host, for the similarity layer. Pure.
 *
 * - The alert family: the first two tokens of the alert's name, split on punctuation, spaces
 *   and case changes, a number of three digits or more cut by its last two (rule ids of one
 *   family share their leading digits): `ET SCAN Nmap …` and `ET-SCAN-2001219` → `et scan`,
 *   `5710` and `5716` → `57`, `T1059-001` → `t1059 0`, `sysmon.proc.create` → `sysmon proc`,
 *   `HighErrorRate` → `high error`.
 * - Identifying labels: labels that name the actor or the object of an alert (source and
 *   destination address, user, process, …), configured by name. A value equal to the alert's
 *   own host says nothing beyond "same host" and is left out.
 *
 * An incident's evidence is the union of its alerts' keys (`family:…`, `label:name=value`).
 */
import { hostOf, type Labels } from '../domain/alert.js';

/** Labels that identify who or what an alert is about, when nothing else is configured. */
export const DEFAULT_IDENTIFYING_LABELS: readonly string[] = [
  'src_ip',
  'dst_ip',
  'src',
  'dst',
  'user',
  'username',
  'process',
  'process_name',
  'container',
  'pod',
  'file',
  'hash',
  'domain',
  'url',
];

/** The alert family of an alert name (see the module comment), or null for an empty one. */
export function alertFamily(alertname: string | undefined): string | null {
  if (!alertname) return null;
  const tokens = alertname
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0)
    .slice(0, 2)
    .map((t) => (/^\d{3,}$/.test(t) ? t.slice(0, -2) : t));
  return tokens.length > 0 ? tokens.join(' ') : null;
}

/** The evidence keys of one alert: its family and its identifying labels (not its host's own value). */
export function evidenceKeys(labels: Labels, identifying: readonly string[]): string[] {
  const keys: string[] = [];
  const family = alertFamily(labels.alertname);
  if (family !== null) keys.push(`family:${family}`);
  const host = hostOf(labels);
  for (const name of identifying) {
    const value = labels[name];
    if (value && value !== host) keys.push(`label:${name}=${value}`);
  }
  return keys;
}

/** What an alert's keys share with an incident's: its family, and the identifying labels in common (sorted). */
export function sharedEvidence(keys: readonly string[], incident: ReadonlyMap<string, number> | undefined): { family: string | null; labels: string[] } {
  let family: string | null = null;
  const labels: string[] = [];
  if (!incident) return { family, labels };
  for (const key of keys) {
    if (!incident.has(key)) continue;
    if (key.startsWith('family:')) family = key.slice('family:'.length);
    else labels.push(key.slice('label:'.length));
  }
  return { family, labels: labels.sort() };
}

/**
 * Identifying labels the alert and the incident both carry with different values and none in
 * common: they are about different actors or objects (two scanners, two users).
 */
export function conflictingLabels(keys: readonly string[], incident: ReadonlyMap<string, number> | undefined): string[] {
  if (!incident) return [];
  const mine = keys.filter((k) => k.startsWith('label:'));
  if (mine.some((k) => incident.has(k))) return [];
  const names = new Set(mine.map((k) => k.slice('label:'.length, k.indexOf('='))));
  const theirs = new Set<string>();
  for (const key of incident.keys()) if (key.startsWith('label:')) theirs.add(key.slice('label:'.length, key.indexOf('=')));
  return [...names].filter((n) => theirs.has(n)).sort();
}
