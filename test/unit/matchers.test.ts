import { describe, expect, it } from 'vitest';
import { matchesAll, Matchers } from '../../server/src/domain/matchers.js';

describe('label matchers', () => {
  it('keeps every matcher of the {label: value} shorthand, one on "__proto__" included', () => {
    // As JSON.parse gives it: an own property, which z.record used to drop (a broader silence).
    const parsed = Matchers.parse(JSON.parse('{"service":"web","__proto__":"x"}'));
    expect(parsed.map((m) => m.name)).toEqual(['service', '__proto__']);
    expect(matchesAll(parsed, { service: 'web' })).toBe(false);
    expect(matchesAll(parsed, JSON.parse('{"service":"web","__proto__":"x"}'))).toBe(true);
  });

  it('matches only own labels: "constructor" and "__proto__" are absent unless sent', () => {
    const [absent] = Matchers.parse([{ name: 'constructor', value: '' }]);
    expect(matchesAll([absent!], { service: 'web' })).toBe(true);
    const regex = Matchers.parse([{ name: '__proto__', value: '.+', isRegex: true }]);
    expect(matchesAll(regex, { service: 'web' })).toBe(false);
  });

  it('refuses bad names and values by path', () => {
    const pathsOf = (input: unknown) => {
      const result = Matchers.safeParse(input);
      expect(result.success).toBe(false);
      return (result.error?.issues ?? []).flatMap((i) => ('errors' in i ? (i.errors as { path: PropertyKey[] }[][]).flat().map((e) => e.path.join('.')) : [i.path.join('.')]));
    };
    expect(pathsOf({ 'not a name': 'x', service: 'web' })).toContain('not a name');
    expect(pathsOf({ service: 5 })).toContain('service');
    expect(pathsOf({})).toEqual(['']);
  });
});
