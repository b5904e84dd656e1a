import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateStorm, labelKey, stormEvents, type Storm, type StormEpisode } from '../bench/storm/generate.js';
import { catalogueOf, generateTopology, renderTopologyYaml, type Topology } from '../bench/storm/topology.js';

const small = { seed: 42, days: 3, services: 30, faultsPerDay: 20, noisePerDay: 40 };
const storm: Storm = generateStorm(small);
const byName = new Map(storm.topology.services.map((s) => [s.name, s]));

/** Fewest dependsOn hops from `from` down to `to`, or Infinity. */
function distance(topology: Topology, from: string, to: string): number {
  const graph = new Map(topology.services.map((s) => [s.name, s.dependsOn]));
  let frontier = [from];
  const seen = new Set(frontier);
  for (let d = 0; frontier.length > 0; d++) {
    if (frontier.includes(to)) return d;
    frontier = frontier.flatMap((n) => graph.get(n) ?? []).filter((n) => !seen.has(n) && seen.add(n));
  }
  return Infinity;
}

/** The service an alert's labels point at: its service label, else the owner of its host. */
function serviceOfLabels(e: StormEpisode): string | undefined {
  if (e.labels.service) return e.labels.service;
  const address = (e.labels.instance ?? '').replace(/:\d+$/, '');
  return storm.topology.services.find((s) => s.hosts.some((h) => h.address === address))?.name;
}

describe('storm topology', () => {
  const topology = generateTopology({ seed: 7, services: 45 });

  it('has the size asked for, with unique names, jobs and host addresses', () => {
    expect(topology.services).toHaveLength(45);
    expect(new Set(topology.services.map((s) => s.name)).size).toBe(45);
    expect(new Set(topology.services.map((s) => s.job)).size).toBe(45);
    const addresses = topology.services.flatMap((s) => s.hosts.map((h) => h.address));
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(new Set(topology.services.map((s) => s.layer))).toEqual(new Set(['frontend', 'api', 'backend', 'database', 'queue', 'cache']));
  });

  it('is a DAG of known services in which every non-frontend service has a dependent', () => {
    const names = new Set(topology.services.map((s) => s.name));
    for (const s of topology.services) {
      for (const d of s.dependsOn) expect(names.has(d)).toBe(true);
      // No path leads back: nothing this service depends on reaches it again.
      for (const d of s.dependsOn) expect(distance(topology, d, s.name)).toBe(Infinity);
      if (s.layer !== 'frontend') expect(topology.services.some((c) => c.dependsOn.includes(s.name))).toBe(true);
      if (s.layer === 'database' || s.layer === 'queue' || s.layer === 'cache') expect(s.dependsOn).toEqual([]);
    }
  });

  it('renders catalogue YAML that reads back as the same data', () => {
    const yaml = renderTopologyYaml(topology);
    expect(parse(yaml)).toEqual(catalogueOf(topology));
    expect(yaml).toContain('dependsOn:');
  });
});

describe('storm generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(generateStorm(small))).toBe(JSON.stringify(storm));
    expect(JSON.stringify(generateStorm({ ...small, seed: 43 }))).not.toBe(JSON.stringify(storm));
  });

  it('has complete ground truth: every episode names a known fault and every fault has episodes', () => {
    const ids = storm.faults.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const used = new Set(storm.episodes.map((e) => e.faultId));
    expect(used).toEqual(new Set(ids));
    for (const e of storm.episodes) {
      expect(e.endsAt).toBeGreaterThan(e.startsAt);
      expect(Object.keys(e.labels).length).toBeGreaterThan(0);
      expect(e.labels.alertname).toBeTruthy();
    }
  });

  it('never has two overlapping episodes of one label set', () => {
    const byAlert = new Map<string, StormEpisode[]>();
    for (const e of storm.episodes) byAlert.set(labelKey(e.labels), [...(byAlert.get(labelKey(e.labels)) ?? []), e]);
    for (const list of byAlert.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i]?.startsAt).toBeGreaterThan((list[i - 1] as StormEpisode).endsAt);
    }
  });

  it('cascades only up the DAG: a symptom is on a service that depends on the root within its hops', () => {
    const roots = new Map(storm.faults.map((f) => [f.id, f.rootService]));
    const cascades = storm.episodes.filter((e) => e.role === 'cascade');
    expect(cascades.length).toBeGreaterThan(100);
    for (const e of cascades) {
      const root = roots.get(e.faultId) as string;
      expect(e.service).not.toBe(root);
      expect(e.hops).toBeGreaterThanOrEqual(1);
      expect(e.hops).toBeLessThanOrEqual(3);
      expect(distance(storm.topology, e.service as string, root)).toBeLessThanOrEqual(e.hops);
      // ...and its labels really point at that service (label or one of its hosts).
      expect(serviceOfLabels(e)).toBe(e.service);
    }
    for (const e of storm.episodes.filter((x) => x.role === 'root')) expect(e.service).toBe(roots.get(e.faultId));
  });

  it('starts a fault with its root and lets symptoms follow within minutes', () => {
    for (const f of storm.faults) {
      const episodes = storm.episodes.filter((e) => e.faultId === f.id);
      expect(Math.min(...episodes.map((e) => e.startsAt))).toBeGreaterThanOrEqual(f.startsAt);
      // First firing of each symptom (later ones are flaps): at most 4 minutes per hop plus a minute.
      const seen = new Set<string>();
      for (const e of episodes.filter((x) => x.role === 'cascade')) {
        if (seen.has(labelKey(e.labels))) continue;
        seen.add(labelKey(e.labels));
        expect(e.startsAt - f.startsAt).toBeLessThanOrEqual((e.hops * 4 + 1) * 60_000);
      }
    }
  });

  it('has flapping, recurrence, noise and every alert shape', () => {
    const episodesOf = (id: string) => storm.episodes.filter((e) => e.faultId === id);
    const flapping = storm.faults.filter((f) => {
      const keys = episodesOf(f.id).map((e) => labelKey(e.labels));
      return new Set(keys).size < keys.length;
    });
    expect(flapping.length).toBeGreaterThan(5);
    const recurrences = storm.faults.filter((f) => f.recurrenceOf !== null);
    expect(recurrences.length).toBeGreaterThan(2);
    for (const r of recurrences) {
      const original = storm.faults.find((f) => f.id === r.recurrenceOf);
      expect(original).toBeDefined();
      expect(r.startsAt - (original as { startsAt: number }).startsAt).toBeGreaterThan(20 * 3_600_000);
    }
    // A recurrence raises alerts with the labels its original raised.
    const repeated = recurrences.filter((r) => {
      const before = new Set(episodesOf(r.recurrenceOf as string).map((e) => labelKey(e.labels)));
      return episodesOf(r.id).some((e) => before.has(labelKey(e.labels)));
    });
    expect(repeated.length).toBeGreaterThan(0);
    expect(storm.faults.filter((f) => f.kind === 'noise').length).toBeGreaterThan(50);
    const shapes = storm.episodes.map((e) => e.labels);
    expect(shapes.some((l) => l.job === 'node' && !l.service && l.instance)).toBe(true);
    expect(shapes.some((l) => l.alertname === 'TargetDown' && !l.service && l.job && l.instance)).toBe(true);
    expect(shapes.some((l) => l.service && !l.instance)).toBe(true);
    expect(shapes.some((l) => l.service && l.instance && l.job && l.severity)).toBe(true);
    expect(storm.episodes.some((e) => /\b10\.\d+\.\d+\.\d+\b/.test(e.annotations.summary ?? ''))).toBe(true);
    for (const s of new Set(storm.episodes.map((e) => e.service))) expect(s === null || byName.has(s)).toBe(true);
  });

  it('turns each episode into a firing and a resolved event in time order', () => {
    const events = stormEvents(storm);
    expect(events).toHaveLength(2 * storm.episodes.length);
    for (let i = 1; i < events.length; i++) expect(events[i]?.at).toBeGreaterThanOrEqual((events[i - 1] as { at: number }).at);
    const firing = events.filter((e) => e.status === 'firing');
    expect(firing.every((e) => e.at === e.episode.startsAt)).toBe(true);
    expect(events.filter((e) => e.status === 'resolved').every((e) => e.at === e.episode.endsAt)).toBe(true);
  });
});
