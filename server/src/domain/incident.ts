/**
 * @module Incident lifecycle (ITIL) and priority. Pure: no I/O, no clock.
 */
import type { Severity } from './alert.js';

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'on_hold', 'resolved', 'closed', 'cancelled'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuses in which an incident can still gather alerts. */
export const ACTIVE_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'on_hold'];

export type IncidentAction = 'acknowledge' | 'hold' | 'resume' | 'resolve' | 'reopen' | 'close' | 'cancel';

const TRANSITIONS: Record<IncidentAction, Partial<Record<IncidentStatus, IncidentStatus>>> = {
  acknowledge: { open: 'acknowledged' },
  hold: { open: 'on_hold', acknowledged: 'on_hold' },
  // Resuming returns to `acknowledged` when the incident had been acknowledged before the hold.
  resume: { on_hold: 'open' },
  resolve: { open: 'resolved', acknowledged: 'resolved', on_hold: 'resolved' },
  reopen: { resolved: 'open' },
  close: { resolved: 'closed' },
  cancel: { open: 'cancelled', acknowledged: 'cancelled', on_hold: 'cancelled' },
};

/** The status after `action`, or null when the transition is not allowed from `from`. */
export function nextStatus(from: IncidentStatus, action: IncidentAction, wasAcknowledged = false): IncidentStatus | null {
  const to = TRANSITIONS[action][from] ?? null;
  if (action === 'resume' && to === 'open' && wasAcknowledged) return 'acknowledged';
  return to;
}

export function allowedActions(from: IncidentStatus): IncidentAction[] {
  return (Object.keys(TRANSITIONS) as IncidentAction[]).filter((a) => TRANSITIONS[a][from] !== undefined);
}

export type Level = 'high' | 'medium' | 'low';
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** ITIL impact × urgency matrix. */
const MATRIX: Record<Level, Record<Level, Priority>> = {
  high: { high: 'P1', medium: 'P2', low: 'P3' },
  medium: { high: 'P2', medium: 'P3', low: 'P4' },
  low: { high: 'P3', medium: 'P4', low: 'P5' },
};

export function priorityOf(impact: Level, urgency: Level): Priority {
  return MATRIX[impact][urgency];
}

export function urgencyOf(severity: Severity): Level {
  switch (severity) {
    case 'critical':
      return 'high';
    case 'error':
    case 'warning':
    case 'unknown':
      return 'medium';
    case 'info':
      return 'low';
  }
}

/** Service tier 1 is business critical (high impact); tier 3 is low. Unknown services: medium. */
export function impactOfTier(tier: number | null | undefined): Level {
  if (tier === 1) return 'high';
  if (tier === 3) return 'low';
  return 'medium';
}

const LEVEL_RANK: Record<Level, number> = { low: 0, medium: 1, high: 2 };
export function higherLevel(a: Level, b: Level): Level {
  return LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b;
}

/** The incident a `merged` timeline entry says its own incident went into, or null (the surviving side's entry says `from`). */
export function mergedInto(kind: string, data: unknown): number | null {
  if (kind !== 'merged' || typeof data !== 'object' || data === null) return null;
  const into = (data as { into?: unknown }).into;
  return typeof into === 'number' ? into : null;
}

/** An incident as the correlator and the services see it. */
export interface IncidentRecord {
  id: number;
  title: string;
  status: IncidentStatus;
  priority: Priority;
  priorityOverridden: boolean;
  impact: Level;
  urgency: Level;
  service: string | null;
  host: string | null;
  groupKey: string;
  openedAt: number;
  lastActivityAt: number;
  createdAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  resolveAfter: number | null;
  resolution: string | null;
  wasAcknowledged: boolean;
  alertCount: number;
  firingCount: number;
  assignee: string | null;
  rootCauseService: string | null;
  maskedTitle: string[];
}

export interface TimelineEntry {
  id: number;
  incidentId: number;
  at: number;
  kind: string;
  actor: string;
  message: string;
  data: unknown;
}

/** An incident with what the correlator knows of it beyond its record. */
export interface IncidentFacts {
  incident: IncidentRecord;
  services: readonly string[];
  hosts: readonly string[];
  /** When the fault first reached each service (its `service_reached` entries). */
  reached: readonly [string, number][];
  /** Anyone but the correlator wrote on its timeline. */
  touchedByPeople: boolean;
}
