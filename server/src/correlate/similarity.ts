/**
 * @module Masked-title similarity: titles that differ only in numbers, ids, addresses or
 * host names describe the same symptom. Pure.
 */

const MASKS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, ' <uuid> '],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, ' <ip> '],
  [/\[?[0-9a-f]*:[0-9a-f:]+:[0-9a-f]*\]?(?::\d+)?/gi, ' <ip> '],
  [/\b[0-9a-f]{12,}\b/gi, ' <id> '],
  [/(?:\/[\w.-]+){2,}\/?/g, ' <path> '],
  // Any remaining token with a digit: counts, percentages, pod suffixes, host numbers.
  [/\b[\w.-]*\d[\w.-]*\b/g, ' <n> '],
];

/**
 * Lower-cased tokens of `title` with variable parts masked; `hosts` are masked too. A
 * leading `alertname:` is kept whole: the alert rule's name is its identity, and masking
 * the digits in `Disk1Full` would make unrelated rules look alike.
 */
export function maskTitle(title: string, hosts: readonly string[] = []): string[] {
  const head = /^([A-Za-z_][A-Za-z0-9_]*): /.exec(title);
  const rest = head ? title.slice(head[0].length) : title;
  return head ? [(head[1] as string).toLowerCase(), ...maskText(rest, hosts)] : maskText(rest, hosts);
}

function maskText(title: string, hosts: readonly string[]): string[] {
  let text = title.toLowerCase();
  for (const host of hosts) if (host) text = text.split(host.toLowerCase()).join(' <host> ');
  for (const [pattern, mask] of MASKS) text = text.replace(pattern, mask);
  return text.split(/[^\w<>]+/).filter((t) => t.length > 0);
}

/** Jaccard similarity of the token sets, in [0, 1]. */
export function titleSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  const sb = new Set(b);
  let common = 0;
  for (const t of sa) if (sb.has(t)) common++;
  return common / (sa.size + sb.size - common);
}
