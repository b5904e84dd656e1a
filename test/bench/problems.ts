/**
 * Cost and quality of problem-candidate clustering on seeded recurring-fault incidents with
 * ground truth: time, peak RSS, ARI, NMI, homogeneity and completeness for Sightline and, on
 * the same incidents, for two baselines (group by alertname, group by masked signature).
 * Incidents outside every candidate count as singletons, in Sightline and in the baselines
 * alike (baseline groups below the same minimum size are dissolved into singletons too).
 * Prints wall and CPU time of the clustering and the process's peak RSS.
 * Usage: node --import tsx test/bench/problems.ts [incidents...]   (default 500 5000 20000)
 * The last line summarises the largest run.
 */
import type { ProblemIncident } from '../../server/src/domain/problem.js';
import { clusterProblemCandidates, DEFAULT_CANDIDATE_OPTIONS } from '../../server/src/problems/candidates.js';
import { knownNamesOf } from '../../server/src/problems/features.js';
import { createMasker } from '../../server/src/problems/mask.js';
import { signatureOf } from '../../server/src/problems/signature.js';
import { adjustedRandIndex, completeness, homogeneity, normalizedMutualInformation } from './cluster-scores.js';
import { generateIncidents } from './problems-generate.js';

const now = Date.UTC(2025, 0, 1);
const minIncidents = DEFAULT_CANDIDATE_OPTIONS.minIncidents;

interface Scores {
  ari: number;
  nmi: number;
  homogeneity: number;
  completeness: number;
}

function score(incidents: readonly ProblemIncident[], truth: ReadonlyMap<string, number>, clusterOf: ReadonlyMap<string, string>): Scores {
  // Noise incidents are one-off faults: each is its own class.
  const t = incidents.map((i) => (truth.get(i.id) === -1 ? `noise:${i.id}` : `fault:${truth.get(i.id)}`));
  const p = incidents.map((i) => clusterOf.get(i.id) ?? `alone:${i.id}`);
  return { ari: adjustedRandIndex(t, p), nmi: normalizedMutualInformation(t, p), homogeneity: homogeneity(t, p), completeness: completeness(t, p) };
}

function groupBy(incidents: readonly ProblemIncident[], key: (i: ProblemIncident) => string): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const i of incidents) groups.set(key(i), [...(groups.get(key(i)) ?? []), i.id]);
  const out = new Map<string, string>();
  for (const [k, ids] of groups) if (ids.length >= minIncidents) for (const id of ids) out.set(id, k);
  return out;
}

const fmt = (s: Scores) => `ari=${s.ari.toFixed(3)} nmi=${s.nmi.toFixed(3)} homogeneity=${s.homogeneity.toFixed(3)} completeness=${s.completeness.toFixed(3)}`;

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
let summary = '';
for (const n of sizes.length ? sizes : [500, 5000, 20000]) {
  const { incidents, truth } = generateIncidents({ incidents: n, faults: 40, noise: 0.1, hosts: 200, days: 90, now, seed: 7, zipf: 1.1 });
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
  const byAlertname = groupBy(incidents, (i) => i.alertname);
  const bySignature = groupBy(incidents, (i) => signatureOf(i, masker).key);
  const ours = score(incidents, truth, sightline);
  const alertname = score(incidents, truth, byAlertname);
  const signature = score(incidents, truth, bySignature);
  console.log(
    `bench problems: incidents=${n} signatures=${stats.signatures} k=${stats.k} clusters=${stats.clusters} candidates=${candidates.length} ms=${ms.toFixed(0)} cpu_ms=${cpuMs.toFixed(0)} peak_rss_mb=${peakRssMb.toFixed(0)}`,
  );
  console.log(`  sightline            ${fmt(ours)}`);
  console.log(`  baseline alertname   ${fmt(alertname)}`);
  console.log(`  baseline signature   ${fmt(signature)}`);
  summary = `bench problems: ari=${ours.ari.toFixed(3)} homogeneity=${ours.homogeneity.toFixed(3)} best_baseline_ari=${Math.max(alertname.ari, signature.ari).toFixed(3)}`;
}
console.log(summary);
