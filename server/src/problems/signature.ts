/**
 * @module Signatures: an incident's alert rule plus its masked title. Incidents with the same
 * signature are the same symptom and are grouped before any clustering (recurrence is
 * Zipf-distributed, so exact grouping carries most of the weight). Pure.
 */
import { createHash } from 'node:crypto';
import type { ProblemIncident } from '../domain/problem.js';
import { type Masker, tokenize } from './mask.js';

export interface IncidentSignature {
  /** `alertname|masked title tokens` (then the other member alerts' keys, one a line), human-readable and stable. */
  key: string;
  /** First 12 hex digits of the key's SHA-256. */
  hash: string;
  maskedTitle: string;
}

/** First `length` hex digits of the SHA-256 of `text`: deterministic short ids. */
export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * The title's rule and masked title; with member signatures (see `memberSignaturesOf`) beyond
 * the title's own, the key also lists the others, sorted: two incidents that open with the
 * same alert but hold different ones are not the same symptom.
 */
export function signatureOf(incident: Pick<ProblemIncident, 'alertname' | 'title'>, masker: Masker, members: readonly string[] = []): IncidentSignature {
  const maskedTitle = masker.mask(incident.title);
  const title = `${incident.alertname.trim()}|${tokenize(maskedTitle).join(' ')}`;
  const others = [...new Set(members.slice(1))].filter((m) => m !== title).sort();
  const key = others.length ? [title, ...others].join('\n') : title;
  return { key, hash: shortHash(key), maskedTitle };
}
