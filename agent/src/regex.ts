/**
 * @module Regexes of the agent's configuration (body and command-line checks, collector
 * excludes), in RE2 syntax as node_exporter's and blackbox_exporter's: matching takes time linear
 * in the input, so no response body or command line can stall the agent. As theirs, a pattern
 * matches anywhere in the input unless it anchors itself (`^…$`).
 */
import { RE2JS } from 're2js';

export interface Pattern {
  test(input: string): boolean;
}

/** Compiled patterns by source: they come from the configuration, so there are few, and checks reuse them every run. */
const compiled = new Map<string, Pattern>();

/** Compiles `source` once; throws what RE2 refuses (check with `patternProblem` first). */
export function compilePattern(source: string): Pattern {
  let pattern = compiled.get(source);
  if (!pattern) {
    pattern = RE2JS.compile(source);
    compiled.set(source, pattern);
  }
  return pattern;
}

/** Why RE2 refuses `source` (e.g. "invalid escape sequence: `\1`"), or null when it compiles. */
export function patternProblem(source: string): string | null {
  try {
    RE2JS.compile(source);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^error parsing regexp: /, '');
  }
}
