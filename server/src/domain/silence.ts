/** @module Silences and maintenance windows: matchers over a half-open time range [startsAt, endsAt). */
import type { Matcher } from './matchers.js';

export type SilenceKind = 'silence' | 'maintenance';

export interface Silence {
  id: string;
  kind: SilenceKind;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

export function silenceState(s: Silence, now: number): 'pending' | 'active' | 'expired' {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}
