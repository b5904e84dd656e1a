/**
 * @module The service graph: which service an alert belongs to, how far apart two services
 * are, and which affected service is most upstream (the root-cause candidate). Pure.
 * Edges point from a service to what it depends on; distance ignores direction, because a
 * fault spreads from a dependency to its dependants and is seen on both.
 */
import type { Labels } from '../domain/alert.js';
import type { ServiceDefinition } from '../domain/service.js';

export class ServiceGraph {
  private readonly byName = new Map<string, ServiceDefinition>();
  private readonly neighboursOf = new Map<string, Set<string>>();
  private readonly dependsOn = new Map<string, Set<string>>();
  private readonly matchers: ServiceDefinition[];
  private readonly byHost = new Map<string, string>();

  constructor(services: readonly ServiceDefinition[]) {
    const sorted = [...services].sort((a, b) => a.name.localeCompare(b.name));
    for (const s of sorted) this.byName.set(s.name, s);
    for (const s of sorted) {
      for (const dep of s.dependsOn) {
        this.link(s.name, dep);
        const deps = this.dependsOn.get(s.name) ?? new Set<string>();
        deps.add(dep);
        this.dependsOn.set(s.name, deps);
      }
      for (const host of s.match.hosts ?? []) if (!this.byHost.has(host)) this.byHost.set(host, s.name);
    }
    this.matchers = sorted.filter((s) => s.match.labels && Object.keys(s.match.labels).length > 0);
  }

  private link(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const set = this.neighboursOf.get(x) ?? new Set<string>();
      set.add(y);
      this.neighboursOf.set(x, set);
    }
  }

  /** Services of the catalogue with their own maximum incident span (ms). */
  maxIncidentSpans(): ReadonlyMap<string, number> {
    if (!this.spans) {
      this.spans = new Map();
      for (const [name, s] of this.byName) if (s.maxIncidentSpan != null) this.spans.set(name, s.maxIncidentSpan);
    }
    return this.spans;
  }

  private spans: Map<string, number> | null = null;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): ServiceDefinition | undefined {
    return this.byName.get(name);
  }

  tierOf(name: string | null): number | null {
    return name ? (this.byName.get(name)?.tier ?? null) : null;
  }

  /** The alert's `service` label wins; else the first service (by name) whose label matchers all hold; else its host. */
  serviceFor(labels: Labels, host: string | null, explicit: string | null): string | null {
    if (explicit) return explicit;
    for (const s of this.matchers) {
      if (Object.entries(s.match.labels ?? {}).every(([k, v]) => labels[k] === v)) return s.name;
    }
    return host ? (this.byHost.get(host) ?? null) : null;
  }

  /** Services within `maxHops` of `service` (itself at 0), with their distance. */
  within(service: string, maxHops: number): Map<string, number> {
    const seen = new Map<string, number>([[service, 0]]);
    let frontier = [service];
    for (let hop = 1; hop <= maxHops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const s of frontier) {
        for (const n of this.neighboursOf.get(s) ?? []) {
          if (!seen.has(n)) {
            seen.set(n, hop);
            next.push(n);
          }
        }
      }
      frontier = next;
    }
    return seen;
  }

  /** Answers of `dependencyHops` (from → to → maxHops): the graph never changes, and the correlator asks the same pairs per alert. */
  private readonly hopsCache = new Map<string, Map<string, Map<number, number | null>>>();

  /** How many dependency edges lead from `from` to `to` (following `dependsOn`), or null beyond `maxHops`. */
  dependencyHops(from: string, to: string, maxHops: number): number | null {
    if (from === to) return 0;
    let byTo = this.hopsCache.get(from);
    if (!byTo) this.hopsCache.set(from, (byTo = new Map()));
    let byHops = byTo.get(to);
    if (!byHops) byTo.set(to, (byHops = new Map()));
    const known = byHops.get(maxHops);
    if (known !== undefined) return known;
    const hops = this.searchDependencies(from, to, maxHops);
    byHops.set(maxHops, hops);
    return hops;
  }

  private searchDependencies(from: string, to: string, maxHops: number): number | null {
    let frontier = [from];
    const seen = new Set(frontier);
    for (let hop = 1; hop <= maxHops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const s of frontier) {
        for (const d of this.dependsOn.get(s) ?? []) {
          if (d === to) return hop;
          if (!seen.has(d)) {
            seen.add(d);
            next.push(d);
          }
        }
      }
      frontier = next;
    }
    return null;
  }

  /** Hops between two services along dependencies in either direction (a fault travels one way). */
  causalHops(a: string, b: string, maxHops: number): number | null {
    const down = this.dependencyHops(a, b, maxHops);
    const up = this.dependencyHops(b, a, maxHops);
    if (down === null) return up;
    if (up === null) return down;
    return Math.min(down, up);
  }

  /** Everything each service depends on, directly or not (computed once per service). */
  private readonly closure = new Map<string, Set<string>>();

  /** True when `a` depends on `b`, directly or through other services. */
  dependsTransitively(a: string, b: string): boolean {
    let all = this.closure.get(a);
    if (!all) this.closure.set(a, (all = this.dependencyClosure(a)));
    return all.has(b);
  }

  private dependencyClosure(a: string): Set<string> {
    const found = new Set<string>();
    const stack = [...(this.dependsOn.get(a) ?? [])];
    while (stack.length) {
      const s = stack.pop() as string;
      if (found.has(s)) continue;
      found.add(s);
      stack.push(...(this.dependsOn.get(s) ?? []));
    }
    return found;
  }

  /**
   * The root-cause candidate among affected services: the one the most others depend on
   * (transitively); ties go to the more critical tier, then the name.
   */
  mostUpstream(services: readonly string[]): string | null {
    const unique = [...new Set(services)];
    let best: { name: string; dependants: number; tier: number } | null = null;
    for (const s of unique) {
      const dependants = unique.filter((o) => o !== s && this.dependsTransitively(o, s)).length;
      const tier = this.tierOf(s) ?? 2;
      if (!best || dependants > best.dependants || (dependants === best.dependants && (tier < best.tier || (tier === best.tier && s < best.name)))) {
        best = { name: s, dependants, tier };
      }
    }
    return best?.name ?? null;
  }
}
