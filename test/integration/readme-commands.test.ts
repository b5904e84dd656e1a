/**
 * The README's command lines, run as written against the built CLI, so the README stays true.
 *
 * Every `npx sightline …` line of the README's `sh` blocks runs in README order in a fresh
 * directory holding the files the README names (its `sightline.yaml`, the same as `try.yaml`,
 * and agent/agent.example.yaml as `agent.yaml`), after the block's `export` lines, and must
 * exit 0. Optional parts (`[--json]`) are run both left out and put in, each in a directory of
 * its own. What cannot run as written is changed as little as possible, always the same way:
 * a server or agent that would run until stopped gets `--check-config`, `demo` (a minute or
 * two) and `change record` (which posts to a running server; test/integration/change-cli.test.ts
 * runs it as written against one) get `--help`, `<id>` is the id the previous `silence create` printed, `<command>` is
 * each command the block shows, `/backups/` is a directory in the working directory, and a
 * value written `…` (a secret of the reader's) is 32 characters.
 * The inline `npx sightline …` examples of the prose — the README's and the reference pages'
 * under docs/ — run the same way where a database exists (`./data` and `./demo`, made by
 * `migrate`), and their server configuration files (YAML blocks) must load.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseAgentConfig } from '../../agent/src/config.js';
import { loadConfig } from '../../server/src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'server', 'src', 'cli.js');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
/** The README and the reference pages under docs/: their inline examples and configuration files are held to the same test. */
const docsDir = path.join(root, 'docs');
const guide = [readme, ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort().map((f) => readFileSync(path.join(docsDir, f), 'utf8'))].join('\n');
const scratch = mkdtempSync(path.join(tmpdir(), 'sightline-readme-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Block {
  lang: string;
  lines: string[];
}

function codeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', lines: (m[2] ?? '').split('\n') }));
}

/** The line without its trailing `# comment` (README comments follow two or more spaces or start the line). */
const withoutComment = (line: string) => line.replace(/(^|\s{2,})#.*$/, '').trim();

/** Optional parts left out (`minimal`) or put in (`full`); brackets nest: `[--local-agent [listen]]`. */
function variant(line: string, which: 'minimal' | 'full'): string {
  if (which === 'full') return line.replace(/\[|\]/g, '').replace(/\s+/g, ' ').trim();
  let out = '';
  let depth = 0;
  for (const c of line) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (depth === 0) out += c;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** The words after `npx sightline`. */
const argsOf = (line: string) => line.slice(line.indexOf('npx sightline') + 'npx sightline'.length).trim().split(/\s+/);

/** The changes described above, for a command that cannot run as written. */
function runnable(line: string): string[] {
  const args = argsOf(line);
  const has = (flag: string) => args.includes(flag);
  if (has('--help') || has('--check-config')) return [line];
  if (args[0] === 'server') return [`${line} --check-config`];
  if (args[0] === 'agent' && !has('--once')) return [`${line} --check-config`];
  if (args[0] === 'demo' || args[0] === 'change') return [`${line} --help`];
  return [line];
}

/** Runs one README line in `cwd` under bash, `npx sightline` being the built CLI. */
function run(line: string, cwd: string, preamble: string[]) {
  const filled = (text: string) => text.replaceAll('=…', `=${'s'.repeat(32)}`);
  const script = [`npx() { shift; "${process.execPath}" "${cli}" "$@"; }`, ...preamble.map(filled), filled(line).replaceAll('/backups/', 'backups/')].join('\n');
  const result = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: cwd }, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A working directory with the files the README's commands name. */
function workingDir(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, 'backups'), { recursive: true });
  const serverYaml = codeBlocks(readme).find((b) => b.lang === 'yaml' && b.lines[0] === '# sightline.yaml');
  if (!serverYaml) throw new Error('the README shows no `# sightline.yaml` block');
  writeFileSync(path.join(dir, 'sightline.yaml'), serverYaml.lines.join('\n'));
  writeFileSync(path.join(dir, 'try.yaml'), serverYaml.lines.join('\n'));
  copyFileSync(path.join(root, 'agent', 'agent.example.yaml'), path.join(dir, 'agent.yaml'));
  return dir;
}

const shBlocks = codeBlocks(readme).filter((b) => b.lang === 'sh' && b.lines.some((l) => l.includes('npx sightline')));

describe('the README', () => {
  it('shows sightline commands in shell blocks', () => {
    expect(shBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(['minimal', 'full'] as const)('runs every command line of its shell blocks (optional parts %s)', (which) => {
    const cwd = workingDir(which);
    let silenceId: string | null = null;
    let ran = 0;
    for (const block of shBlocks) {
      const lines = block.lines.map(withoutComment).filter(Boolean);
      const preamble = lines.filter((l) => l.startsWith('export '));
      const commands = lines.filter((l) => l.includes('npx sightline')).map((l) => variant(l, which));
      const names = [...new Set(commands.map((l) => argsOf(l)[0]).filter((n): n is string => n !== undefined && !n.startsWith('<')))];
      for (const command of commands) {
        const expanded = command.includes('<command>') ? names.map((n) => command.replace('<command>', n)) : [command];
        for (const line of expanded.flatMap(runnable)) {
          if (line.includes('<id>')) {
            expect(silenceId, `${line}: no silence created before it`).not.toBeNull();
          }
          const out = run(line.replace('<id>', silenceId ?? ''), cwd, preamble);
          expect(out.code, `${line}\n${out.stdout}\n${out.stderr}`).toBe(0);
          if (argsOf(line).slice(0, 2).join(' ') === 'silence create') silenceId = out.stdout.trim();
          ran++;
        }
      }
    }
    expect(ran).toBeGreaterThanOrEqual(20);
  }, 180_000);

  it('runs the inline `npx sightline …` examples of its prose', () => {
    const cwd = workingDir('inline');
    for (const dataDir of ['./data', './demo']) expect(run(`npx sightline migrate --data-dir ${dataDir}`, cwd, []).code).toBe(0);
    const inline = [...guide.matchAll(/`(npx sightline [^`]+)`/g)].map((m) => m[1] as string).filter((l) => !l.includes('[') && !l.includes('<'));
    expect(inline.length).toBeGreaterThanOrEqual(4);
    for (const line of inline.flatMap(runnable)) {
      const out = run(line, cwd, []);
      expect(out.code, `${line}\n${out.stdout}\n${out.stderr}`).toBe(0);
    }
  }, 120_000);

  it('shows configuration files that load', () => {
    // A block headed by another program's file name (`# alertmanager.yml`, `# slo.yaml`…) is that program's.
    const blocks = codeBlocks(guide).filter((b) => b.lang === 'yaml' && !/^# (?!sightline\.yaml$)[\w.-]+\.ya?ml$/.test(b.lines[0] ?? ''));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const file = path.join(scratch, 'block.yaml');
      writeFileSync(file, block.lines.join('\n'));
      const loaded = loadConfig({ file, env: {} });
      expect(loaded.ok ? [] : loaded.problems, block.lines.slice(0, 3).join('\n')).toEqual([]);
    }
    const agent = parseAgentConfig(parseYaml(readFileSync(path.join(root, 'agent', 'agent.example.yaml'), 'utf8')), { HOME: scratch });
    expect(agent.ok ? [] : agent.problems).toEqual([]);
  });
});
