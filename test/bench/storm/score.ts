/**
 * @module Scores a predicted grouping of alerts into incidents against the ground truth
 * (which fault each alert belongs to). Pairwise measures: a pair of alerts is predicted
 * together when both sit in one incident, and truly together when both come from one
 * fault. Pairs are counted from the contingency table (predicted × true group sizes), so
 * a storm of n alerts costs O(n), not O(n²).
 */

export interface Assignment {
  /** Predicted group (incident) id. */
  predicted: string | number;
  /** True group (fault) id. */
  truth: string | number;
}

export interface GroupingScore {
  alerts: number;
  /** Distinct true groups. */
  faults: number;
  /** Distinct predicted groups. */
  incidents: number;
  /** Share of predicted pairs that are true pairs; 1 when nothing was grouped. */
  precision: number;
  /** Share of true pairs that were predicted; 1 when every fault has a single alert. */
  recall: number;
  f1: number;
  /** Alerts per incident. */
  compression: number;
  /** Faults whose alerts landed in more than one incident (they cost recall). */
  splitFaults: number;
  /** Incidents holding alerts of more than one fault (they cost precision). */
  mixedIncidents: number;
}

/** Pairs among n items. */
const pairs = (n: number) => (n * (n - 1)) / 2;

function countBy<K>(items: Iterable<K>): Map<K, number> {
  const counts = new Map<K, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

export function scoreGrouping(assignments: readonly Assignment[]): GroupingScore {
  // Ids keyed typed, so the string "1" and the number 1 stay apart.
  const id = (x: string | number) => `${typeof x}:${x}`;
  const predicted = countBy(assignments.map((a) => id(a.predicted)));
  const truth = countBy(assignments.map((a) => id(a.truth)));
  const cells = new Map<string, { incident: string; fault: string; n: number }>();
  for (const a of assignments) {
    const incident = id(a.predicted);
    const fault = id(a.truth);
    const key = `${incident}\u0000${fault}`;
    const cell = cells.get(key) ?? { incident, fault, n: 0 };
    cell.n += 1;
    cells.set(key, cell);
  }
  let together = 0;
  for (const { n } of cells.values()) together += pairs(n);
  let predictedPairs = 0;
  for (const n of predicted.values()) predictedPairs += pairs(n);
  let truePairs = 0;
  for (const n of truth.values()) truePairs += pairs(n);
  // Each cell is one (incident, fault) meeting.
  const faultsPerIncident = countBy([...cells.values()].map((c) => c.incident));
  const incidentsPerFault = countBy([...cells.values()].map((c) => c.fault));
  const precision = predictedPairs === 0 ? 1 : together / predictedPairs;
  const recall = truePairs === 0 ? 1 : together / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    alerts: assignments.length,
    faults: truth.size,
    incidents: predicted.size,
    precision,
    recall,
    f1,
    compression: predicted.size === 0 ? 0 : assignments.length / predicted.size,
    splitFaults: [...incidentsPerFault.values()].filter((n) => n > 1).length,
    mixedIncidents: [...faultsPerIncident.values()].filter((n) => n > 1).length,
  };
}
