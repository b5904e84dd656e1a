/**
 * @module Signatures: an incident's alert rule plus its masked title. Incidents with the same
 * signature are the same symptom and are grouped before any clustering (recurrence is
 * Zipf-distributed, so exact grouping carries most of the weight). Pure.
 */
import { createHash } from 'node:crypto';
import type { ProblemIncident } from '../domain/problem.js';
import { type Masker, tokenize } from './mask.js';

export interface IncidentSignature {
  /** `alertname|masked title tokens`, human-readable and stable. */
  key: string;
  /** First 12 hex digits of the key's SHA-256. */
  hash: string;
  maskedTitle: string;
}

/** First `length` hex digits of the SHA-256 of `text`: deterministic short ids. */
export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export function signatureOf(incident: Pick<ProblemIncident, 'alertname' | 'title'>, masker: Masker): IncidentSignature {
  const maskedTitle = masker.mask(incident.title);
  const key = `${incident.alertname.trim()}|${tokenize(maskedTitle).join(' ')}`;
  return { key, hash: shortHash(key), maskedTitle };
}
