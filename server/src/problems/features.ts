/**
 * @module From an incident to what clustering compares: its signature and its feature
 * document (masked title and summary tokens, alert-rule tokens, service, severity, host). Pure.
 */
import type { ProblemIncident } from '../domain/problem.js';
import { type KnownNames, type Masker, alertnameTokens, tokenize } from './mask.js';
import { type IncidentSignature, signatureOf } from './signature.js';
import type { FeatureDocument } from './tfidf.js';

export interface IncidentFeatures {
  signature: IncidentSignature;
  document: FeatureDocument;
}

export function featuresOf(incident: ProblemIncident, masker: Masker): IncidentFeatures {
  const signature = signatureOf(incident, masker);
  const alertname = incident.alertname.trim();
  const terms = [
    ...tokenize(signature.maskedTitle),
    ...tokenize(masker.mask(incident.summary)),
    ...alertnameTokens(alertname),
    // The rule's whole name as one term: `DiskFull` and `DiskFullPredicted` share words, not rules.
    ...(alertname ? [`alertname=${alertname.toLowerCase()}`] : []),
  ];
  return { signature, document: { terms, service: incident.service, severity: incident.severity, host: incident.host } };
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
