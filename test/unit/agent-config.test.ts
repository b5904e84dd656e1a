/** Config loading: defaults, env overrides, every problem listed; and the CLI's --check-config / --once. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agentCommand } from '../../agent/src/cli.js';
import { AgentConfig, HttpCheckConfig, loadAgentConfig, parseAgentConfig, RuleConfig, TcpCheckConfig } from '../../agent/src/config.js';
import { parseDuration } from '../../agent/src/duration.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc/basic', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env } };
}

describe('agent config', () => {
  it('names the host after the nodename of the kernel whose /proc it reads, unless configured', () => {
    const fromProc = parseAgentConfig({ procRoot: path.join(FIXTURE, 'proc') }, { HOME: dir });
    expect(fromProc.ok && fromProc.config.hostname).toBe('fixture-host');
    const configured = parseAgentConfig({ procRoot: path.join(FIXTURE, 'proc') }, { HOME: dir, SIGHTLINE_AGENT_HOSTNAME: 'web-01' });
    expect(configured.ok && configured.config.hostname).toBe('web-01');
    const noProc = parseAgentConfig({ procRoot: path.join(dir, 'missing') }, { HOME: dir });
    expect(noProc.ok && noProc.config.hostname).toBe(os.hostname());
  });

  it('parses durations', () => {
    expect([parseDuration('15s'), parseDuration('500ms'), parseDuration('1m30s'), parseDuration('2'), parseDuration('soon')]).toEqual([15_000, 500, 90_000, null, null]);
  });

  it('requires a unit on a duration (a bare number is not taken as seconds), except 0', () => {
    const r = parseAgentConfig({ interval: 10, server: { heartbeatInterval: '60' }, rules: [{ alert: 'A', metric: 'm', op: '>', threshold: 1, for: 0 }] }, { HOME: dir });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'interval: 10 has no unit: write e.g. "10s" or "10m" (units: ms, s, m, h, d)',
      'server.heartbeatInterval: 60 has no unit: write e.g. "60s" or "60m" (units: ms, s, m, h, d)',
    ]);
  });

  it('refuses a regex RE2 refuses, naming the setting and what RE2 says', () => {
    const r = parseAgentConfig(
      { checks: [{ name: 'web', type: 'http', url: 'http://127.0.0.1/', bodyRegex: '(?=ok)' }, { name: 'db', type: 'process', cmdlineRegex: '(a)\\1' }], diskstats: { deviceExclude: '[' } },
      { HOME: dir },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'diskstats.deviceExclude: invalid regular expression "[" (RE2 syntax): missing closing ]: `[`',
      'checks.0.bodyRegex: invalid regular expression "(?=ok)" (RE2 syntax): invalid or unsupported Perl syntax: `(?=`',
      'checks.1.cmdlineRegex: invalid regular expression "(a)\\\\1" (RE2 syntax): invalid escape sequence: `\\1`',
    ]);
  });

  it('fills node_exporter-like defaults', () => {
    const r = parseAgentConfig({}, { HOME: dir });
    if (!r.ok) throw new Error(r.problems.join());
    expect(r.config.interval).toBe(15_000);
    expect(r.config.listen).toBe('0.0.0.0:9101');
    expect(r.config.server.url).toBeUndefined();
    expect(r.config.otlp.endpoint).toBeUndefined();
    expect(r.config.filesystem.includeNetwork).toBe(false);
    expect(r.config.queue.maxItems).toBe(10_000);
    expect(r.config.queue.maxBytes).toBe(256 * 1024 * 1024);
    expect(Object.isFrozen(r.config.filesystem)).toBe(true);
  });

  it('lets the environment override the file', () => {
    const file = path.join(dir, 'a.yaml');
    writeFileSync(file, 'interval: 30s\nserver:\n  url: http://old:8080\n  token: t1\nqueue:\n  dir: /tmp/q\n');
    const r = loadAgentConfig({ file, env: { SIGHTLINE_AGENT_SERVER_URL: 'http://new:8080', SIGHTLINE_AGENT_INTERVAL: '5s', SIGHTLINE_AGENT_QUEUE_MAX_ITEMS: '50', SIGHTLINE_AGENT_QUEUE_MAX_BYTES: '1048576' } });
    if (!r.ok) throw new Error(r.problems.join());
    expect([r.config.server.url, r.config.server.token, r.config.interval, r.config.queue.maxItems, r.config.queue.maxBytes, r.config.queue.dir]).toEqual(['http://new:8080', 't1', 5000, 50, 1_048_576, '/tmp/q']);
  });

  it('lists every problem at once', () => {
    const r = parseAgentConfig({
      interval: 'often',
      listen: 'nowhere',
      typo: 1,
      server: { url: 'ftp://x' },
      checks: [
        { name: 'a', type: 'http', url: 'not a url' },
        { name: 'b', type: 'process' },
        { name: 'c', type: 'ping' },
      ],
      rules: [{ alert: 'X', metric: 'm', op: '>>', threshold: 'high' }],
      queue: { maxBytes: 1000 },
    });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    for (const where of ['interval:', 'listen:', '(root): Unrecognized key', 'server.url:', 'checks.0.url:', 'checks.1:', 'checks.2.type:', 'rules.0.op:', 'rules.0.threshold:', 'queue.maxBytes: at least 65536 bytes']) {
      expect(problems.some((p) => p.startsWith(where)), `${where} in ${problems.join(' | ')}`).toBe(true);
    }
  });

  it('CLI --check-config exits 2 with the problems, 0 with a summary', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'interval: 0x\nchecks:\n  - {name: a, type: tcp, target: nope}\n');
    const b = io();
    expect(await agentCommand(['--check-config', '-c', bad], b.io)).toBe(2);
    expect(b.out.stderr).toContain('interval: not a duration');
    expect(b.out.stderr).toContain('checks.0.target: expected host:port');
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'checks:\n  - {name: a, type: tcp, target: "127.0.0.1:9"}\n');
    const g = io({ HOME: dir });
    expect(await agentCommand(['--check-config', '--config', good], g.io)).toBe(0);
    expect(g.out.stdout).toBe('configuration OK: 1 checks, 0 rules plus defaults, server off, OTLP off\n');
  });

  it('CLI --check-config reports OTLP as the agent will run it: to the server by default, to a collector, or off', async () => {
    const cases: [string, string][] = [
      ['server: {url: "http://sightline:8080", token: t}\n', 'server http://sightline:8080, OTLP on, to the server (http://sightline:8080)\n'],
      ['server: {url: "http://sightline:8080", token: t}\notlp: {toServer: false}\n', 'server http://sightline:8080, OTLP off\n'],
      ['server: {url: "http://sightline:8080", token: t}\notlp: {endpoint: "http://collector:4318"}\n', 'server http://sightline:8080, OTLP on, to http://collector:4318\n'],
      ['{}\n', 'server off, OTLP off\n'],
    ];
    for (const [yaml, summary] of cases) {
      const file = path.join(dir, 'otlp.yaml');
      writeFileSync(file, yaml);
      const o = io({ HOME: dir });
      expect(await agentCommand(['--check-config', '--config', file], o.io), o.out.stderr).toBe(0);
      expect(o.out.stdout, yaml).toBe(`configuration OK: 0 checks, 0 rules plus defaults, ${summary}`);
    }
  });

  it('CLI --once prints one collection from the configured /proc', async () => {
    const file = path.join(dir, 'once.yaml');
    writeFileSync(
      file,
      [`procRoot: ${FIXTURE}/proc`, `sysRoot: ${FIXTURE}/sys`, 'rootfs: /nonexistent', `queue: {dir: ${dir}/q}`, 'checks:', '  - {name: nginx, type: process, processName: nginx}'].join('\n'),
    );
    const o = io();
    expect(await agentCommand(['--once', '-c', file], o.io)).toBe(0);
    expect(o.out.stdout).toContain('node_memory_MemTotal_bytes 16777216000\n');
    expect(o.out.stdout).toContain('node_uname_info{sysname="Linux",release="6.1.0-13-amd64"');
    expect(o.out.stdout).toContain('sightline_process_count{check="nginx"} 2\n');
    expect(o.out.stdout).toMatch(/^probe_success\{check="nginx",type="process",target="[^"]*"\} 1$/m);
    expect(o.out.stdout).toContain('node_filesystem_device_error{device="/dev/vda1",fstype="ext4",mountpoint="/"} 1\n');
  });

  it('agent/agent.example.yaml is valid and sets every key of the schema', () => {
    const file = fileURLToPath(new URL('../../agent/agent.example.yaml', import.meta.url));
    const r = loadAgentConfig({ file });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const text = readFileSync(file, 'utf8');
    const keys = (shape: Record<string, unknown>): string[] => Object.keys(shape);
    const missing = [...keys(AgentConfig.shape), ...[HttpCheckConfig, TcpCheckConfig, RuleConfig].flatMap((schema) => keys(schema.shape)), 'processName', 'cmdlineRegex']
      .filter((key) => !new RegExp(`^\\s*(- )?#? ?${key}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });
});
