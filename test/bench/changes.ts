/**
 * Change-ranking benchmark: the correlation bench's seeded storm (topology, cascading faults,
 * concurrent faults, noise) with changes generated beside it (storm/changes.ts: routine
 * changes that cause nothing, changes that cause faults, remediations after them). Each true
 * fault is an incident (its alerts, their services and when the fault reached each; the
 * root-cause candidate as the correlator picks it), and its changes are ranked by Sightline's
 * `rankChanges` and by two baselines in the same run:
 * - own: the most recent change on the incident's own service (where its first alert was);
 * - upstream: the most recent change on any affected service or anything they depend on
 *   (within the topology hops).
 *
 *   npm run bench:changes
 *
 * Settings (env): BENCH_SEEDS (comma-separated; default the correlation bench's six seeds,
 * 20261121,1,2,3,4,5, which the likely-cause threshold was not calibrated on),
 * BENCH_CALIBRATION_SEEDS (101,102,103: printed with a sweep of thresholds),
 * BENCH_CHANGES_PER_SERVICE_DAY (3).
 *
 * Scores, over incidents whose fault a change caused: top1 (the cause ranked first), top3;
 * over incidents no change caused: false_cause (a change still flagged likelyCause). The last
 * line is machine-readable:
 *   bench changes: top1=<f> top3=<f> baseline_top1=<f> false_cause=<f>
 */
import { DEFAULT_CHANGE_RANK, rankChanges, type ChangeRankOptions } from '../../server/src/changes/rank.js';
import { ServiceGraph } from '../../server/src/correlate/topology.js';
import type { Change } from '../../server/src/domain/change.js';
import { generateChanges, type StormChange } from './storm/changes.js';
import { DEFAULT_STORM, generateStorm } from './storm/generate.js';
import { catalogueOf } from './storm/topology.js';
import { setting } from './settings.js';

const seedsOf = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
const SEEDS = seedsOf('BENCH_SEEDS', `${DEFAULT_STORM.seed},1,2,3,4,5`);
const CALIBRATION = seedsOf('BENCH_CALIBRATION_SEEDS', '101,102,103');
const PER_SERVICE_DAY = setting('BENCH_CHANGES_PER_SERVICE_DAY', 3);

interface Case {
  cause: number | null;
  ranked: ReturnType<typeof rankChanges>;
  own: number | null;
  upstream: number | null;
}

function casesOf(seed: number, options: ChangeRankOptions): { cases: Case[]; changes: number; caused: number } {
  const storm = generateStorm({ seed });
  const graph = new ServiceGraph(catalogueOf(storm.topology).services);
  const generated: StormChange[] = generateChanges(storm, { perServicePerDay: PER_SERVICE_DAY });
  const changes: (Change & { causedFault: string | null })[] = generated.map((c, i) => ({ ...c, id: i + 1 }));
  const causeOf = new Map(changes.filter((c) => c.causedFault).map((c) => [c.causedFault as string, c.id]));
  const byFault = new Map<string, typeof storm.episodes>();
  for (const e of storm.episodes) if (e.faultId.startsWith('fault-')) byFault.set(e.faultId, [...(byFault.get(e.faultId) ?? []), e]);
  const cases: Case[] = [];
  for (const [faultId, episodes] of byFault) {
    const first = episodes.reduce((a, b) => (b.startsAt < a.startsAt ? b : a));
    const onset = first.startsAt;
    const reached = new Map<string, number>();
    for (const e of episodes) if (e.service && (reached.get(e.service) ?? Infinity) > e.startsAt) reached.set(e.service, e.startsAt);
    const rootService = graph.mostUpstream([...reached.keys()]);
    const window = changes.filter((c) => c.startedAt >= onset - options.lookbackMs && c.startedAt <= onset + options.lookbackMs);
    const ranked = rankChanges({ onset, reached, rootService, graph, changes: window }, options);
    const before = window.filter((c) => c.startedAt <= onset).sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
    const own = before.find((c) => c.service === first.service)?.id ?? null;
    const upstreamOf = (service: string) => [...reached.keys()].some((s) => s === service || graph.dependencyHops(s, service, options.hops) !== null);
    const upstream = before.find((c) => upstreamOf(c.service))?.id ?? null;
    cases.push({ cause: causeOf.get(faultId) ?? null, ranked, own, upstream });
  }
  return { cases, changes: changes.length, caused: causeOf.size };
}

interface Score {
  caused: number;
  uncaused: number;
  top1: number;
  top3: number;
  own: number;
  upstream: number;
  falseCause: number;
  /** Caused incidents whose cause was flagged. */
  flagged: number;
  /** Caused incidents where a change other than the cause was flagged. */
  wrongFlag: number;
}

function score(cases: readonly Case[]): Score {
  const caused = cases.filter((c) => c.cause !== null);
  const uncaused = cases.filter((c) => c.cause === null);
  const share = (n: number, of: number) => (of === 0 ? 0 : n / of);
  return {
    caused: caused.length,
    uncaused: uncaused.length,
    top1: share(caused.filter((c) => c.ranked[0]?.id === c.cause).length, caused.length),
    top3: share(caused.filter((c) => c.ranked.slice(0, 3).some((r) => r.id === c.cause)).length, caused.length),
    own: share(caused.filter((c) => c.own === c.cause).length, caused.length),
    upstream: share(caused.filter((c) => c.upstream === c.cause).length, caused.length),
    falseCause: share(uncaused.filter((c) => c.ranked.some((r) => r.likelyCause)).length, uncaused.length),
    flagged: share(caused.filter((c) => c.ranked.some((r) => r.likelyCause && r.id === c.cause)).length, caused.length),
    wrongFlag: share(caused.filter((c) => c.ranked.some((r) => r.likelyCause && r.id !== c.cause)).length, caused.length),
  };
}

const f = (x: number) => x.toFixed(3);
const started = performance.now();

// Calibration: the likely-cause threshold is the lowest whose false-cause rate stays under 0.03 on
// these seeds (a margin below the 0.05 target); the seeds reported below were not looked at.
const calibration = CALIBRATION.flatMap((seed) => casesOf(seed, DEFAULT_CHANGE_RANK).cases);
console.log(`calibration seeds ${CALIBRATION.join(', ')}: ${calibration.length} incidents; likely-cause threshold sweep`);
console.log('threshold  false_cause  cause_flagged  other_flagged');
for (const t of [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]) {
  const s = score(calibration.map((c) => ({ ...c, ranked: c.ranked.map((r, i) => ({ ...r, ...(i === 0 && r.score >= t ? { likelyCause: true as const } : { likelyCause: undefined }) })) })));
  console.log(`${t.toFixed(2).padStart(9)}  ${f(s.falseCause).padStart(11)}  ${f(s.flagged).padStart(13)}  ${f(s.wrongFlag).padStart(13)}${t === DEFAULT_CHANGE_RANK.likelyCauseScore ? '  <- default' : ''}`);
}
console.log('');

console.log('seed       incidents  caused  changes  top1   top3   own_top1  upstream_top1  false_cause  cause_flagged');
const all: Case[] = [];
for (const seed of SEEDS) {
  const { cases, changes } = casesOf(seed, DEFAULT_CHANGE_RANK);
  all.push(...cases);
  const s = score(cases);
  console.log(
    `${String(seed).padEnd(9)}  ${String(cases.length).padStart(9)}  ${String(s.caused).padStart(6)}  ${String(changes).padStart(7)}  ${f(s.top1)}  ${f(s.top3)}  ${f(s.own).padStart(8)}  ${f(s.upstream).padStart(13)}  ${f(s.falseCause).padStart(11)}  ${f(s.flagged).padStart(13)}`,
  );
}
const total = score(all);
const baseline = Math.max(total.own, total.upstream);
console.log('');
console.log(
  `all ${SEEDS.length} seeds: ${total.caused} incidents caused by a change, ${total.uncaused} not; ${(total.wrongFlag * 100).toFixed(1)} % of the caused ones flagged another change; ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
console.log('targets: top1 >= 0.85, top3 >= 0.95, top1 - baseline_top1 >= 0.2, false_cause <= 0.05');
console.log(`bench changes: top1=${f(total.top1)} top3=${f(total.top3)} baseline_top1=${f(baseline)} false_cause=${f(total.falseCause)}`);
