/**
 * @module Changes for a storm (see generate.ts), with ground truth: which fault each one caused.
 *
 * Most changes cause nothing. Every service sees routine work through its days (about
 * `perServicePerDay`, mostly in working hours: deploys, configuration pushes, feature flags,
 * infrastructure); on top of that, some faults are caused by a change:
 * - a bad deploy, nearly always by a deploy of its root service 1–15 minutes before;
 * - a database, cache or queue fault now and then by a configuration push on it, or by a deploy
 *   of a service that depends on it (a new query, a new consumer);
 * - a dead host now and then by infrastructure work on its service;
 * and some faults see a remediation afterwards (a rollback or a configuration push on the
 * root, after the fault began), which did not cause them.
 *
 * Drawn from a stream of its own, so the storm's alerts are the same with or without changes.
 */
import type { NewChange } from '../../../server/src/domain/change.js';
import { Random } from './random.js';
import { dependentsOf, type Service } from './topology.js';
import type { Storm, StormFault } from './generate.js';

export interface StormChange extends NewChange {
  /** Ground truth: the fault this change caused, or null. */
  causedFault: string | null;
}

export interface ChangeOptions {
  /** Routine changes per service per day, none of which cause anything. */
  perServicePerDay: number;
}

export const DEFAULT_CHANGES: ChangeOptions = { perServicePerDay: 3 };

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const ROUTINE_KINDS: [NewChange['kind'], number][] = [
  ['deploy', 0.6],
  ['config', 0.2],
  ['feature_flag', 0.12],
  ['infrastructure', 0.08],
];

function routineKind(rng: Random): NewChange['kind'] {
  let x = rng.next();
  for (const [kind, w] of ROUTINE_KINDS) if ((x -= w) < 0) return kind;
  return 'deploy';
}

const version = (rng: Random) => `v${rng.int(1, 4)}.${rng.int(0, 30)}.${rng.int(0, 20)}`;

function change(service: string, kind: NewChange['kind'], startedAt: number, rng: Random, causedFault: string | null): StormChange {
  const v = kind === 'deploy' ? version(rng) : null;
  const summary =
    kind === 'deploy'
      ? `deploy ${v} of ${service}`
      : kind === 'config'
        ? `configuration push to ${service}`
        : kind === 'feature_flag'
          ? `flag ${service}-${rng.int(1, 99)} turned on`
          : `infrastructure work on ${service}`;
  return {
    service,
    summary,
    kind,
    startedAt,
    finishedAt: startedAt + rng.int(1, 8) * MIN,
    version: v,
    author: null,
    links: [],
    labels: {},
    source: 'bench',
    receivedAt: startedAt,
    causedFault,
  };
}

/** The change that caused `fault`, if one did (drawn per fault). */
function causeOf(fault: StormFault, root: Service, storm: Storm, rng: Random): StormChange | null {
  const before = Math.round(rng.logUniform(1, 15) * MIN / SEC) * SEC;
  const at = fault.startsAt - before;
  switch (fault.kind) {
    case 'bad-deploy':
      return rng.chance(0.9) ? change(root.name, 'deploy', at, rng, fault.id) : null;
    case 'db-overload':
    case 'cache-memory':
    case 'queue-backlog': {
      const x = rng.next();
      if (x < 0.15) return change(root.name, 'config', at, rng, fault.id);
      const dependents = dependentsOf(storm.topology, root.name);
      if (x < 0.3 && dependents.length > 0) return change(rng.pick(dependents).name, 'deploy', at, rng, fault.id);
      return null;
    }
    case 'host-down':
      return rng.chance(0.1) ? change(root.name, 'infrastructure', at, rng, fault.id) : null;
    default:
      return null;
  }
}

/** Routine changes over the storm's days and the changes that caused (or followed) its faults, by start. */
export function generateChanges(storm: Storm, options: ChangeOptions = DEFAULT_CHANGES): StormChange[] {
  const rng = new Random(storm.options.seed).fork('changes');
  const out: StormChange[] = [];
  const byName = new Map(storm.topology.services.map((s) => [s.name, s]));
  for (let day = 0; day < storm.options.days; day++) {
    const midnight = storm.options.start + day * DAY;
    for (const service of storm.topology.services) {
      const count = rng.int(0, Math.round(options.perServicePerDay * 2));
      for (let i = 0; i < count; i++) {
        // Working hours mostly, some at night (batch jobs, other time zones).
        const at = midnight + (rng.chance(0.85) ? 9 * HOUR + rng.int(0, 9 * 3600) * SEC : rng.int(0, 24 * 3600) * SEC);
        out.push(change(service.name, routineKind(rng), at, rng, null));
      }
    }
  }
  for (const fault of storm.faults) {
    if (!fault.id.startsWith('fault-') || fault.rootService === null) continue;
    const root = byName.get(fault.rootService);
    if (!root) continue;
    const cause = causeOf(fault, root, storm, rng);
    if (cause) out.push(cause);
    // A rollback or a configuration push once the fault is noticed.
    if (rng.chance(0.25)) out.push(change(root.name, rng.chance(0.6) ? 'deploy' : 'config', fault.startsAt + rng.int(8, 40) * MIN, rng, null));
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.service.localeCompare(b.service));
}
