/**
 * The postmortem's pure parts: action items found in notes, and alert text escaped so that a
 * real Markdown renderer (markdown-it with HTML and linkify on, the most permissive setting)
 * makes no link, image, HTML, emphasis, code or block of it.
 */
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../server/src/domain/incident.js';
import { actionItemsOf, escapeMarkdown } from '../../server/src/postmortems/document.js';

const note = (message: string, kind = 'note'): TimelineEntry => ({ id: 7, incidentId: 1, at: 1000, kind, actor: 'alice', message, data: null });

describe('action items', () => {
  it.each([
    ['TODO: add an alert', ['add an alert']],
    ['todo add an alert', ['add an alert']],
    ['  - [ ] raise the limit', ['raise the limit']],
    ['* [ ] raise the limit', ['raise the limit']],
    ['1. [ ] first', ['first']],
    ['Action: review the runbook', ['review the runbook']],
    ['action : review', ['review']],
    ['- [x] done already', []],
    ['TODO', []],
    ['todos are for later', []],
    ['we should take action: later', []],
    ['Fixed.\nTODO: one\nnot this\n- [ ] two', ['one', 'two']],
  ])('%j → %j', (message, expected) => {
    expect(actionItemsOf([note(message)]).map((a) => a.text)).toEqual(expected);
  });

  it('reads notes only, and keeps who wrote them and when', () => {
    expect(actionItemsOf([note('TODO: x', 'acknowledged'), note('TODO: y')])).toEqual([{ text: 'y', actor: 'alice', at: 1000, entryId: 7 }]);
  });
});

describe('escapeMarkdown', () => {
  const md = new MarkdownIt({ html: true, linkify: true, typographer: false });
  const HOSTILE = [
    '[click](http://evil.example/x)',
    '![img](http://evil.example/i.png)',
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    'see https://evil.example/path and www.evil.com and mail a@evil.com',
    'evil.com',
    '**bold** _em_ ~~gone~~ `code`',
    '&lt;b&gt; &#60;b&#62;',
    '[ref]: http://evil.example\n[ref]',
    '<http://evil.example>',
    'line one\n# heading\n> quote\n```\nfence\n```\n| a | b |\n|---|---|',
    'trailing backslash \\',
  ];

  it.each(HOSTILE)('%j renders as its own text, inert', (text) => {
    const escaped = escapeMarkdown(text);
    expect(escaped).not.toContain('\n');
    const html = md.render(`- ${escaped}`);
    expect(html).not.toMatch(/<(a|img|script|strong|em|s|code|h\d|blockquote|pre|table|b)\b/);
    // What a reader sees is the text itself, on one line.
    const seen = md.renderInline(escaped).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(seen).toBe(text.replace(/\s+/g, ' ').trim());
  });

  it('cuts very long text', () => {
    expect(escapeMarkdown('x'.repeat(2000))).toBe(`${'x'.repeat(500)}…`);
  });
});
