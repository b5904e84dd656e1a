/**
 * External clustering scores against a ground truth: adjusted Rand index (Hubert & Arabie
 * 1985), normalised mutual information (arithmetic-mean normalisation, as scikit-learn's
 * default), homogeneity and completeness (Rosenberg & Hirschberg 2007). Labels are any
 * strings or numbers; each index is one item.
 */

function contingency(truth: readonly (string | number)[], predicted: readonly (string | number)[]) {
  if (truth.length !== predicted.length) throw new Error('truth and prediction differ in length');
  const table = new Map<string, number>();
  const rows = new Map<string | number, number>();
  const cols = new Map<string | number, number>();
  truth.forEach((t, i) => {
    const p = predicted[i] as string | number;
    const key = `${typeof t}:${t}\u0000${typeof p}:${p}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(t, (rows.get(t) ?? 0) + 1);
    cols.set(p, (cols.get(p) ?? 0) + 1);
  });
  return { cells: [...table.values()], rows: [...rows.values()], cols: [...cols.values()], n: truth.length };
}

const pairs = (x: number) => (x * (x - 1)) / 2;

export function adjustedRandIndex(truth: readonly (string | number)[], predicted: readonly (string | number)[]): number {
  const { cells, rows, cols, n } = contingency(truth, predicted);
  const index = cells.reduce((s, x) => s + pairs(x), 0);
  const a = rows.reduce((s, x) => s + pairs(x), 0);
  const b = cols.reduce((s, x) => s + pairs(x), 0);
  const expected = (a * b) / pairs(n);
  const max = (a + b) / 2;
  // Both partitions trivial (all one cluster, or all singletons) and equal: perfect agreement.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

function entropy(counts: readonly number[], n: number): number {
  return -counts.reduce((s, c) => (c > 0 ? s + (c / n) * Math.log(c / n) : s), 0);
}

function mutualInformation(truth: readonly (string | number)[], predicted: readonly (string | number)[]) {
  const { cells, rows, cols, n } = contingency(truth, predicted);
  const hTruth = entropy(rows, n);
  const hPred = entropy(cols, n);
  const hJoint = entropy(cells, n);
  return { mi: hTruth + hPred - hJoint, hTruth, hPred };
}

export function normalizedMutualInformation(truth: readonly (string | number)[], predicted: readonly (string | number)[]): number {
  const { mi, hTruth, hPred } = mutualInformation(truth, predicted);
  if (hTruth === 0 && hPred === 0) return 1;
  return mi / ((hTruth + hPred) / 2);
}

/** Each cluster holds members of one class only (1 = perfectly homogeneous). */
export function homogeneity(truth: readonly (string | number)[], predicted: readonly (string | number)[]): number {
  const { mi, hTruth } = mutualInformation(truth, predicted);
  return hTruth === 0 ? 1 : mi / hTruth;
}

/** Each class lies in one cluster only. */
export function completeness(truth: readonly (string | number)[], predicted: readonly (string | number)[]): number {
  const { mi, hPred } = mutualInformation(truth, predicted);
  return hPred === 0 ? 1 : mi / hPred;
}
