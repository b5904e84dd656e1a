/**
 * @module Noise control, pure: silences and maintenance windows (in event time), flap
 * detection, and explicit grouping rules.
 */
import type { Labels } from '../domain/alert.js';
import { matchesAll, type Matcher } from '../domain/matchers.js';
import type { Silence } from '../domain/silence.js';
import { appendTo } from '../domain/collections.js';

/**
 * The silence or maintenance window covering an alert episode, if any (oldest first): one
 * its start falls in (event time, so a backfill is judged by when things happened), or one
 * in force `now` that began while the episode was firing (`endsAt` null: it still fires).
 */
export function suppressionFor(labels: Labels, startsAt: number, silences: readonly Silence[], now: number = startsAt, endsAt: number | null = null): Silence | null {
  for (const s of silences) {
    const startsInside = s.startsAt <= startsAt && startsAt < s.endsAt;
    const caughtFiring = startsAt < s.startsAt && s.startsAt <= now && now < s.endsAt && (endsAt === null || s.startsAt < endsAt);
    if ((startsInside || caughtFiring) && matchesAll(s.matchers, labels)) return s;
  }
  return null;
}

/** Silences in force at `now`, i.e. those that mute matching alerts already firing. */
export function silencesInForce(silences: readonly Silence[], now: number): Silence[] {
  return silences.filter((s) => s.startsAt <= now && now < s.endsAt);
}

export interface FlapConfig {
  windowMs: number;
  /** State changes within the window that make an alert flapping. */
  threshold: number;
}

/**
 * Records a state change at `at` (event time) and says whether the alert is flapping: at
 * least `threshold` changes within the last `windowMs`. Returns the pruned history.
 */
export function recordStateChange(history: readonly number[], at: number, config: FlapConfig): { history: number[]; flapping: boolean } {
  const kept = [...history, at].filter((t) => t > at - config.windowMs).sort((a, b) => a - b);
  return { history: kept.slice(-Math.max(config.threshold, 1) * 2), flapping: kept.length >= config.threshold };
}

export interface GroupingRule {
  name: string;
  matchers: Matcher[];
  /** Label names whose values form the group; empty means every matching alert groups together. */
  groupBy: string[];
  joinWindowMs: number | null;
}

/**
 * Rules indexed by one plain `name="value"` matcher each (the first), so an alert is tested
 * only against the rules its labels can satisfy, plus those without such a matcher; many
 * rules do not cost every alert a scan of all of them.
 */
interface RuleIndex {
  byLabel: Map<string, Map<string, number[]>>;
  unindexed: number[];
}

const ruleIndexes = new WeakMap<readonly GroupingRule[], RuleIndex>();

function indexOf(rules: readonly GroupingRule[]): RuleIndex {
  let index = ruleIndexes.get(rules);
  if (index) return index;
  index = { byLabel: new Map(), unindexed: [] };
  rules.forEach((rule, position) => {
    const plain = rule.matchers.find((m) => m.isEqual && !m.isRegex && m.value !== '');
    if (!plain) {
      index.unindexed.push(position);
      return;
    }
    const values = index.byLabel.get(plain.name) ?? new Map<string, number[]>();
    appendTo(values, plain.value, position);
    index.byLabel.set(plain.name, values);
  });
  ruleIndexes.set(rules, index);
  return index;
}

/** The first rule (in configuration order) whose matchers all hold, and the grouping key it gives. */
export function ruleFor(labels: Labels, rules: readonly GroupingRule[]): { rule: GroupingRule; groupKey: string } | null {
  if (rules.length === 0) return null;
  const index = indexOf(rules);
  const candidates = [...index.unindexed];
  for (const [name, values] of index.byLabel) {
    const value = labels[name];
    if (value !== undefined) candidates.push(...(values.get(value) ?? []));
  }
  for (const position of candidates.sort((a, b) => a - b)) {
    const rule = rules[position] as GroupingRule;
    if (!matchesAll(rule.matchers, labels)) continue;
    const values = rule.groupBy.map((name) => `${name}=${labels[name] ?? ''}`).join(',');
    return { rule, groupKey: `rule=${rule.name}${values ? `,${values}` : ''}` };
  }
  return null;
}

/** Alertmanager-style inhibition: a firing source alert mutes target alerts that share the `equal` labels. */
export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export interface InhibitionCandidate {
  key: string;
  labels: Labels;
}

/** The source that inhibits `target` (never itself), if any: the first rule, then the first source, wins. */
export function inhibitorOf(target: InhibitionCandidate, sources: readonly InhibitionCandidate[], rules: readonly InhibitRule[]): InhibitionCandidate | null {
  for (const rule of rules) {
    if (!matchesAll(rule.targetMatchers, target.labels)) continue;
    for (const source of sources) {
      if (source.key === target.key || !matchesAll(rule.sourceMatchers, source.labels)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (target.labels[name] ?? ''))) return source;
    }
  }
  return null;
}

export function isInhibitionSource(labels: Labels, rules: readonly InhibitRule[]): boolean {
  return rules.some((r) => matchesAll(r.sourceMatchers, labels));
}
