import { describe, expect, it } from 'vitest';
import { matchesAll, Matchers, regexProblem } from '../../server/src/domain/matchers.js';

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

describe('regex matchers (RE2, fully anchored, as Alertmanager)', () => {
  const regex = (value: string, isEqual = true) => Matchers.parse([{ name: 'alertname', value, isRegex: true, isEqual }]);

  it.each([
    ['Disk.*', 'DiskFull', true],
    ['Disk', 'DiskFull', false], // anchored at both ends
    ['Full', 'DiskFull', false],
    ['a|b', 'a', true],
    ['a|b', 'ab', false], // ^(?:a|b)$, not ^a|b$
    ['(?i)disk.*', 'DISKFULL', true],
    ['\\d+', '123', true],
    ['a.b', 'a\nb', false], // as Go's regexp: `.` does not match a newline
    ['(a+)+', `${'a'.repeat(32)}b`, false],
    ['(a+)+', 'a'.repeat(10_000), true],
    ['', '', true],
  ])('%s against %j: %s', (pattern, value, expected) => {
    expect(matchesAll(regex(pattern), { alertname: value })).toBe(expected);
    expect(matchesAll(regex(pattern, false), { alertname: value })).toBe(!expected);
  });

  it.each([
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?<!a)b', 'invalid named capture: `(?<!a)b`'],
    ['a)|(b', 'unexpected ): `a)|(b`'],
    ['[', 'missing closing ]: `[`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
  ])('refuses %s, naming the field and what RE2 says', (pattern, message) => {
    const result = Matchers.safeParse([{ name: 'service', value: 'web' }, { name: 'alertname', value: pattern, isRegex: true }]);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['1.value', `invalid regular expression ${JSON.stringify(pattern)} (RE2 syntax): ${message}`]]);
    expect(regexProblem(pattern)).toBe(message);
  });

  it('lets a stored regex RE2 refuses match nothing, with either operator', () => {
    const stored = (isEqual: boolean) => [{ name: 'alertname', value: '(a)\\1', isRegex: true, isEqual }];
    expect(matchesAll(stored(true), { alertname: 'aa' })).toBe(false);
    expect(matchesAll(stored(false), { alertname: 'b' })).toBe(false);
  });
});
