/**
 * Cost and purity of problem-candidate clustering on seeded recurring-fault incidents.
 * Usage: node --import tsx test/bench/problems.ts [incidents...]   (default 500 5000)
 */
import { clusterProblemCandidates } from '../../server/src/problems/candidates.js';
import { generateIncidents } from './problems-generate.js';

const now = Date.UTC(2025, 0, 1);
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [500, 5000]) {
  const { incidents, truth } = generateIncidents({ incidents: n, faults: 40, noise: 0.1, hosts: 200, days: 90, now, seed: 7, zipf: 1.1 });
  const started = performance.now();
  const { candidates, stats } = clusterProblemCandidates(incidents, { now, seed: 1 });
  const ms = performance.now() - started;
  // Purity: share of covered incidents that belong to their candidate's majority fault.
  let majority = 0;
  let covered = 0;
  for (const c of candidates) {
    const counts = new Map<number, number>();
    for (const id of c.memberIds) counts.set(truth.get(id) as number, (counts.get(truth.get(id) as number) ?? 0) + 1);
    majority += Math.max(...counts.values());
    covered += c.count;
  }
  console.log(
    `bench problems: incidents=${n} signatures=${stats.signatures} k=${stats.k} candidates=${candidates.length} ms=${ms.toFixed(0)} purity=${(majority / Math.max(1, covered)).toFixed(3)} covered=${covered} rss_mb=${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}`,
  );
}
