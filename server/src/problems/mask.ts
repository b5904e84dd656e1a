/**
 * @module Masking of variable tokens in incident titles and summaries, so that texts that differ
 * only in ids, addresses, numbers, paths or the host and service concerned read the same. Pure.
 */

/** Names the masker replaces whole-word, case-insensitively. */
export interface KnownNames {
  hosts?: readonly string[];
  services?: readonly string[];
}

// Order matters: the specific shapes go before the catch-all "token with a digit".
const PATTERNS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, '<url>'],
  // IPv4 with an optional port, then IPv6 (at least two colons, optional brackets and port).
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '<ip>'],
  [/\[?\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b\]?(?::\d{1,5})?/gi, '<ip>'],
  [/\b(?:0x)?[0-9a-f]{16,}\b/gi, '<hex>'],
  // Unix paths with at least one separator after the root, and Windows drive paths.
  [/(?<![\w<])\/[\w.@%+-]+(?:\/[\w.@%+-]*)*/g, '<path>'],
  [/\b[a-z]:\\[^\s]*/gi, '<path>'],
];

const DIGIT_TOKEN = /[\w.:@%+-]*\d[\w.:@%+-]*/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles the known names into one pattern, longest first so `db-1.prod` wins over `db-1`.
 * Names shorter than 3 characters are ignored: they would mask ordinary words.
 */
function namePattern(names: readonly string[]): RegExp | null {
  const usable = [...new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n.length >= 3))].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (usable.length === 0) return null;
  return new RegExp(`(?<![\\w.-])(?:${usable.map(escapeRegExp).join('|')})(?![\\w-]|\\.\\w)`, 'gi');
}

/** A reusable masker: compiling the name patterns once matters when masking 100k incidents. */
export interface Masker {
  mask(text: string): string;
}

export function createMasker(names: KnownNames = {}): Masker {
  const hosts = namePattern(names.hosts ?? []);
  const services = namePattern(names.services ?? []);
  return {
    mask(text: string): string {
      let out = text;
      // Hosts before services: a host name often embeds its service's name (`checkout-7f9c`).
      if (hosts) out = out.replace(hosts, ' <host> ');
      if (services) out = out.replace(services, ' <service> ');
      for (const [pattern, placeholder] of PATTERNS) out = out.replace(pattern, ` ${placeholder} `);
      out = out.replace(DIGIT_TOKEN, (token) => (/^<\w+>$/.test(token) ? token : ' <num> '));
      return out.replace(/\s+/g, ' ').trim();
    },
  };
}

/** `text` with its variable tokens replaced by `<uuid>`, `<ip>`, `<num>`, … placeholders. */
export function maskText(text: string, names: KnownNames = {}): string {
  return createMasker(names).mask(text);
}

const STOPWORDS = new Set(['a', 'an', 'the', 'on', 'in', 'of', 'for', 'to', 'at', 'is', 'are', 'was', 'and', 'or', 'by', 'with', 'from', 'be', 'has', 'have']);

/** Lower-cased word tokens of a masked text; placeholders are kept, stop words dropped. */
export function tokenize(masked: string): string[] {
  const tokens = masked.toLowerCase().match(/<\w+>|[a-z_][a-z_]*/g) ?? [];
  return tokens.filter((t) => t.length > 1 && !STOPWORDS.has(t));
}

/**
 * The words of an alert rule's name in any style: `DiskFull`, `disk_full`, `disk-full`,
 * `ET-SCAN-NMAP`, `hids.syscheck.changed` → its lower-case words of two letters or more.
 * Numeric codes (`5710`) have none: they are known by the whole name (see `ruleNameTerms`).
 */
export function alertnameTokens(alertname: string): string[] {
  return alertname
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((t) => t.length > 1);
}

/**
 * What a rule's name contributes to an incident's features: its words, and the whole name as
 * one term (`alertname=5710`): `DiskFull` and `DiskFullPredicted` share words, not rules, and
 * a numeric rule id has no words at all.
 */
export function ruleNameTerms(alertname: string): string[] {
  const name = alertname.trim();
  return name ? [...alertnameTokens(name), `alertname=${name.toLowerCase()}`] : [];
}
