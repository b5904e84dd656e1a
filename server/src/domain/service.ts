/**
 * @module Services of the catalogue (configuration management): tier, owner, what they
 * depend on, and how alerts are mapped to them when they carry no `service` label.
 */
import { z } from 'zod';
import { Duration } from './duration.js';
import { SlaPolicyEntry, type SlaPolicy } from './sla.js';
import { labelNameMap } from './string-map.js';

export interface ServiceMatch {
  /** Every listed label must have exactly this value. */
  labels?: Record<string, string>;
  /** The alert's host is one of these. */
  hosts?: string[];
}

export interface ServiceDefinition {
  name: string;
  /** 1 = business critical (high impact) … 3 = low impact. */
  tier: number;
  owner: string | null;
  /** Services this one needs: an outage there can cause one here. */
  dependsOn: string[];
  match: ServiceMatch;
  /** Service level policy; absent when none is agreed. */
  sla?: SlaPolicy;
  /** The longest an incident on this service spans (ms), instead of `correlation.maxIncidentSpan`; null or absent: that. */
  maxIncidentSpan?: number | null;
}

export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const SERVICE_NAME_RULE = 'a letter or digit, then letters, digits and _ . : - (at most 128 in all)';

/** A service of the catalogue as written in the YAML file or sent to the API. */
export const ServiceEntry = z.strictObject({
  name: z.string().regex(SERVICE_NAME, SERVICE_NAME_RULE),
  tier: z.number().int().min(1).max(3).default(2),
  owner: z.string().min(1).max(256).nullable().default(null),
  dependsOn: z
    .array(
      z.string().superRefine((name, ctx) => {
        if (!SERVICE_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a service name: ${SERVICE_NAME_RULE}` });
      }),
    )
    .max(200)
    .default([]),
  match: z
    .strictObject({
      labels: labelNameMap({ nonEmptyValues: true }).optional(),
      hosts: z.array(z.string().min(1)).max(10_000).optional(),
    })
    .default({}),
  sla: SlaPolicyEntry.optional(),
  /** How long one incident of this service may span (e.g. "7d" for slow, long-running faults); absent: `correlation.maxIncidentSpan`. */
  maxIncidentSpan: Duration.refine((ms) => ms >= 60_000, 'must be at least 1m').nullable().optional(),
});


/**
 * Services that depend on each other, directly or through others: each strongly connected
 * component of `dependsOn` that holds a cycle (a service depending on itself included), names
 * sorted, groups sorted by their first name. Cycles are allowed (the topology layer walks edges
 * either way), but a catalogue that has one usually has a mistake, so it is shown.
 */
export function findDependencyCycles(services: readonly Pick<ServiceDefinition, 'name' | 'dependsOn'>[]): string[][] {
  // Only services of the catalogue: one outside it depends on nothing, so it closes no cycle.
  const dependsOn = new Map(services.map((s) => [s.name, s.dependsOn]));
  const edges = (name: string) => (dependsOn.get(name) ?? []).filter((d) => dependsOn.has(d));
  // Tarjan's algorithm with an explicit stack: a chain of thousands of services must not overflow the call stack.
  const index = new Map<string, number>();
  const lowlink = new Map<string, number>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const cycles: string[][] = [];
  for (const root of services) {
    if (index.has(root.name)) continue;
    const frames: { name: string; next: number; deps: string[] }[] = [];
    const enter = (name: string) => {
      index.set(name, index.size);
      lowlink.set(name, index.get(name) as number);
      path.push(name);
      onPath.add(name);
      frames.push({ name, next: 0, deps: edges(name) });
    };
    enter(root.name);
    while (frames.length) {
      const frame = frames[frames.length - 1] as (typeof frames)[number];
      const dep = frame.deps[frame.next++];
      if (dep !== undefined) {
        if (!index.has(dep)) enter(dep);
        else if (onPath.has(dep)) lowlink.set(frame.name, Math.min(lowlink.get(frame.name) as number, index.get(dep) as number));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) lowlink.set(parent.name, Math.min(lowlink.get(parent.name) as number, lowlink.get(frame.name) as number));
      if (lowlink.get(frame.name) !== index.get(frame.name)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = path.pop() as string;
        onPath.delete(member);
        component.push(member);
      } while (member !== frame.name);
      if (component.length > 1 || frame.deps.includes(frame.name)) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}
