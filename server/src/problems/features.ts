/**
 * @module From an incident to what clustering compares: its signature and its feature
 * document (masked title and summary tokens, alert-rule tokens, the signatures of all its
 * member alerts, service, severity, host). Pure.
 */
import type { ProblemIncident } from '../domain/problem.js';
import { type KnownNames, type Masker, ruleNameTerms, tokenize } from './mask.js';
import { type IncidentSignature, signatureOf } from './signature.js';
import { ALERT_TERM_PREFIX, type FeatureDocument } from './tfidf.js';

export interface IncidentFeatures {
  signature: IncidentSignature;
  document: FeatureDocument;
}

export function featuresOf(incident: ProblemIncident, masker: Masker): IncidentFeatures {
  const alerts = memberSignaturesOf(incident, masker);
  const signature = signatureOf(incident, masker, alerts.map((a) => a.key));
  const alertname = incident.alertname.trim();
  const terms = [
    ...tokenize(signature.maskedTitle),
    ...tokenize(masker.mask(incident.summary)),
    ...ruleNameTerms(alertname),
    // Every other member alert once, however often it repeated or how many hosts it touched
    // (a scan's alert on sixty hosts is one signature): its words, its rule and its signature.
    // Alerts found in most incidents weigh little through the IDF, not through a list.
    ...alerts.slice(1).flatMap((a) => [...tokenize(a.maskedTitle), ...ruleNameTerms(a.name)]),
    // The signature block only for incidents of several alerts: a single alert's signature is
    // its group's key, unique to the group, and would only push it away from every other.
    ...(alerts.length > 1 ? alerts.map((a) => `${ALERT_TERM_PREFIX}${a.key}`) : []),
  ];
  return { signature, document: { terms, service: incident.service, severity: incident.severity, host: incident.host } };
}

/** A member alert's rule and masked title, and the key that identifies it across incidents. */
export interface MemberSignature {
  name: string;
  maskedTitle: string;
  /** `name|masked title tokens`. */
  key: string;
}

/**
 * The incident's distinct member alerts (the title's alert first, then in joining order);
 * only the title's when the incident carries no member list.
 */
export function memberSignaturesOf(incident: ProblemIncident, masker: Masker): MemberSignature[] {
  const members = incident.alerts?.length ? incident.alerts : [{ name: incident.alertname, title: incident.title, occurrences: 1 }];
  const out = new Map<string, MemberSignature>();
  for (const a of members) {
    const name = a.name.trim();
    const maskedTitle = masker.mask(a.title);
    const key = `${name}|${tokenize(maskedTitle).join(' ')}`;
    if (!out.has(key)) out.set(key, { name, maskedTitle, key });
  }
  return [...out.values()];
}

/** Host and service names found on the incidents, plus any given: all of them get masked. */
export function knownNamesOf(incidents: readonly ProblemIncident[], extra: KnownNames = {}): KnownNames {
  const hosts = new Set(extra.hosts ?? []);
  const services = new Set(extra.services ?? []);
  for (const i of incidents) {
    if (i.host) hosts.add(i.host);
    if (i.service) services.add(i.service);
  }
  return { hosts: [...hosts].sort(), services: [...services].sort() };
}
