/**
 * Cost and quality of problem-candidate clustering on seeded incidents with ground truth, on
 * three profiles:
 * - `recurring`: recurring-fault incidents known by their title (problems-generate.ts), run at
 *   each size given (default 500 5000 20000);
 * - `logs` and `security`: incidents made of several member alerts that look like log-template
 *   streams and IDS/host-monitoring streams (problems-streams.ts), 4000 incidents each, on the
 *   seeds in `SEEDS` (the first seed is the one the defaults were looked at on; the others were
 *   never looked at while choosing them).
 * Scores: ARI, NMI, homogeneity, completeness, candidates, and mixed candidates (members of
 * more than one true class), for Sightline and, on the same incidents, for the baselines:
 * group by the title's alert name, by the title's exact masked signature, and by the dominant
 * alert (the member alert rule repeated most; the title's rule when there are no members).
 * Incidents outside every candidate count as singletons, in Sightline and in the baselines
 * alike (baseline groups below the same minimum size are dissolved into singletons too).
 * Prints wall and CPU time of the clustering and the process's peak RSS.
 * Usage: node --import tsx test/bench/problems.ts [incidents...]
 * The last line: the minimum ARI and homogeneity of Sightline over the profiles (the largest
 * `recurring` run, every seed of the others) and the best baseline ARI over them all.
 */
import type { ProblemIncident } from '../../server/src/domain/problem.js';
import { clusterProblemCandidates, DEFAULT_CANDIDATE_OPTIONS } from '../../server/src/problems/candidates.js';
import { knownNamesOf } from '../../server/src/problems/features.js';
import { createMasker } from '../../server/src/problems/mask.js';
import { signatureOf } from '../../server/src/problems/signature.js';
import { adjustedRandIndex, completeness, homogeneity, normalizedMutualInformation } from './cluster-scores.js';
import { generateIncidents, type GeneratedIncidents } from './problems-generate.js';
import { generateLogIncidents, generateSecurityIncidents } from './problems-streams.js';

const now = Date.UTC(2025, 0, 1);
const minIncidents = DEFAULT_CANDIDATE_OPTIONS.minIncidents;
const SEEDS = [11, 23, 37];

interface Scores {
  ari: number;
  nmi: number;
  homogeneity: number;
  completeness: number;
  candidates: number;
  mixed: number;
}

function score(incidents: readonly ProblemIncident[], truth: ReadonlyMap<string, number>, clusterOf: ReadonlyMap<string, string>): Scores {
  // Noise incidents are one-off faults: each is its own class.
  const classOf = (i: ProblemIncident) => (truth.get(i.id) === -1 ? `noise:${i.id}` : `fault:${truth.get(i.id)}`);
  const t = incidents.map(classOf);
  const p = incidents.map((i) => clusterOf.get(i.id) ?? `alone:${i.id}`);
  const classes = new Map<string, Set<string>>();
  incidents.forEach((i) => {
    const c = clusterOf.get(i.id);
    if (c !== undefined) classes.set(c, (classes.get(c) ?? new Set()).add(classOf(i)));
  });
  const mixed = [...classes.values()].filter((s) => s.size > 1).length;
  return { ari: adjustedRandIndex(t, p), nmi: normalizedMutualInformation(t, p), homogeneity: homogeneity(t, p), completeness: completeness(t, p), candidates: classes.size, mixed };
}

function groupBy(incidents: readonly ProblemIncident[], key: (i: ProblemIncident) => string): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const i of incidents) groups.set(key(i), [...(groups.get(key(i)) ?? []), i.id]);
  const out = new Map<string, string>();
  for (const [k, ids] of groups) if (ids.length >= minIncidents) for (const id of ids) out.set(id, k);
  return out;
}

/** The member alert rule with the most repeats (the first on a tie), else the title's. */
function dominantAlert(i: ProblemIncident): string {
  let best = i.alertname;
  let most = -1;
  for (const a of i.alerts ?? []) {
    if (a.occurrences > most) [best, most] = [a.name, a.occurrences];
  }
  return best;
}

const fmt = (s: Scores) =>
  `ari=${s.ari.toFixed(3)} nmi=${s.nmi.toFixed(3)} homogeneity=${s.homogeneity.toFixed(3)} completeness=${s.completeness.toFixed(3)} candidates=${s.candidates} mixed=${s.mixed}`;

interface Run {
  ours: Scores;
  bestBaselineAri: number;
}

function run(profile: string, { incidents, truth }: GeneratedIncidents): Run {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { candidates, stats } = clusterProblemCandidates(incidents, { now, seed: 1 });
  const ms = performance.now() - started;
  // CPU time as well as wall time: on a busy machine the wall clock says more about the neighbours.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const sightline = new Map<string, string>();
  for (const c of candidates) for (const id of c.memberIds) sightline.set(id, c.id);
  const masker = createMasker(knownNamesOf(incidents));
  const ours = score(incidents, truth, sightline);
  const baselines = {
    alertname: score(incidents, truth, groupBy(incidents, (i) => i.alertname)),
    signature: score(incidents, truth, groupBy(incidents, (i) => signatureOf(i, masker).key)),
    dominant: score(incidents, truth, groupBy(incidents, dominantAlert)),
  };
  console.log(
    `bench problems: profile=${profile} incidents=${incidents.length} signatures=${stats.signatures} k=${stats.k} clusters=${stats.clusters} candidates=${candidates.length} ms=${ms.toFixed(0)} cpu_ms=${cpuMs.toFixed(0)} peak_rss_mb=${peakRssMb.toFixed(0)}`,
  );
  console.log(`  sightline            ${fmt(ours)}`);
  console.log(`  baseline alertname   ${fmt(baselines.alertname)}`);
  console.log(`  baseline signature   ${fmt(baselines.signature)}`);
  console.log(`  baseline dominant    ${fmt(baselines.dominant)}`);
  return { ours, bestBaselineAri: Math.max(...Object.values(baselines).map((b) => b.ari)) };
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const summarised: Run[] = [];
let recurring: Run | null = null;
for (const n of sizes.length ? sizes : [500, 5000, 20000]) {
  recurring = run('recurring', generateIncidents({ incidents: n, faults: 40, noise: 0.1, hosts: 200, days: 90, now, seed: 7, zipf: 1.1 }));
}
summarised.push(recurring as Run);
for (const seed of SEEDS) summarised.push(run(`logs seed=${seed}`, generateLogIncidents({ incidents: 4000, now, seed, days: 90, noise: 0.05 })));
for (const seed of SEEDS) summarised.push(run(`security seed=${seed}`, generateSecurityIncidents({ incidents: 4000, now, seed, days: 90, noise: 0.05 })));
const min = (f: (r: Run) => number) => Math.min(...summarised.map(f)).toFixed(3);
console.log(`bench problems: ari=${min((r) => r.ours.ari)} homogeneity=${min((r) => r.ours.homogeneity)} best_baseline_ari=${Math.max(...summarised.map((r) => r.bestBaselineAri)).toFixed(3)}`);
