/** The web UI's matcher lines (Alertmanager's `name="value"` syntax): parsed, written, and written back unchanged. */
import { describe, expect, it } from 'vitest';
import { formatMatcher, parseMatcherLines, type Matcher } from '../../server/src/domain/matchers.js';

const m = (name: string, value: string, isRegex = false, isEqual = true): Matcher => ({ name, value, isRegex, isEqual });

describe('matcher lines', () => {
  it.each([
    ['alertname="DiskFull"', m('alertname', 'DiskFull')],
    ['env!="dev"', m('env', 'dev', false, false)],
    ['host=~"db-\\d+"', m('host', 'db-\\d+', true)],
    ['host !~ "web-.*"', m('host', 'web-.*', true, false)],
    ['summary="say \\"hi\\"\\nback\\\\slash"', m('summary', 'say "hi"\nback\\slash')],
    ['team=storage ops', m('team', 'storage ops')],
    ['empty=""', m('empty', '')],
  ])('%s', (line, matcher) => {
    expect(parseMatcherLines(line)).toEqual({ ok: true, matchers: [matcher] });
  });

  it('writes what it reads: every matcher survives a round trip', () => {
    const all = [m('a', 'x"y'), m('b', 'back\\slash', true), m('c', 'two\nlines', false, false), m('d', '\\d+|"', true, false), m('e', '')];
    expect(parseMatcherLines(all.map(formatMatcher).join('\n'))).toEqual({ ok: true, matchers: all });
  });

  it('skips blank lines and names the line at fault', () => {
    expect(parseMatcherLines('\n a="1" \n\n')).toEqual({ ok: true, matchers: [m('a', '1')] });
    expect(parseMatcherLines('a="1"\njust words')).toEqual({ ok: false, message: expect.stringMatching(/^line 2: expected name="value"/) });
    expect(parseMatcherLines('a="unclosed')).toEqual({ ok: false, message: expect.stringMatching(/^line 1: the quoted value/) });
    expect(parseMatcherLines('a="x"y"')).toEqual({ ok: false, message: expect.stringMatching(/^line 1: the quoted value/) });
  });
});
