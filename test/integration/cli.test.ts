/** The built `sightline` command line, run as a user would run it. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startSightline, stopAllProcesses } from '../helpers/processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'server', 'src', 'cli.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-cli-'));

function sightline(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', SIGHTLINE_DATA_DIR: dataDir, ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(async () => {
  await stopAllProcesses();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sightline CLI', () => {
  it.each([[[]], [['server']], [['agent']], [['migrate']], [['token']], [['token', 'create']], [['token', 'list']], [['token', 'revoke']], [['silence', 'create']], [['silence', 'list']], [['silence', 'expire']], [['change']], [['change', 'record']], [['replay']], [['backup']]])('sightline %j --help', (args) => {
    const out = sightline([...args, '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: sightline/m);
  });

  it('migrates, creates a token shown once, lists and revokes it', () => {
    expect(sightline(['migrate'])).toMatchObject({ code: 0, stdout: expect.stringContaining('database is up to date (sqlite') });

    const created = sightline(['token', 'create', '--name', 'alertmanager', '--scopes', 'ingest,read', '--expires-in', '90d']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^sl_[\w-]{43}$/);
    expect(created.stderr).toContain('shown only now');

    const listed = sightline(['token', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/alertmanager\s+ingest,read\s+.*active/);
    expect(listed.stdout).not.toContain(token);

    expect(sightline(['token', 'create', '--name', 'alertmanager', '--scopes', 'ingest']).code).toBe(1);
    expect(sightline(['token', 'create', '--name', 'x', '--scopes', 'root']).stderr).toContain('scopes are a comma-separated list');

    expect(sightline(['token', 'revoke', 'alertmanager'])).toMatchObject({ code: 0, stdout: 'revoked alertmanager\n' });
    expect(sightline(['token', 'list']).stdout).toMatch(/alertmanager\s+.*revoked/);
    expect(sightline(['token', 'revoke', 'alertmanager']).code).toBe(1);

    expect(sightline(['token', 'create', '--name', 'monthly', '--scopes', 'read', '--expires', '30d']).code).toBe(0);
    const expiring = (JSON.parse(sightline(['token', 'list', '--json']).stdout) as { name: string; expiresAt: unknown }[]).find((t) => t.name === 'monthly');
    const expiresAt = typeof expiring?.expiresAt === 'number' ? expiring.expiresAt : Date.parse(String(expiring?.expiresAt));
    expect(Math.abs(expiresAt - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    expect(sightline(['token', 'create', '--name', 'stale', '--scopes', 'read', '--expires', '2020-01-01T00:00:00Z']).stderr).toContain('expiry must lie in the future');
  });

  it('creates, lists and expires silences', () => {
    const created = sightline(['silence', 'create', '-m', 'service=billing', '-m', 'alertname=~Disk.*', '--duration', '2h', '--comment', 'disk swap', '--maintenance', '--by', 'alice']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sightline(['silence', 'list', '--state', 'active']).stdout).toMatch(new RegExp(`${id}\\s+maintenance\\s+active .*service="billing",alertname=~"Disk\\.\\*".*alice: disk swap`));
    expect(sightline(['silence', 'expire', id])).toMatchObject({ code: 0, stdout: `expired ${id}\n` });
    expect(sightline(['silence', 'expire', id]).code).toBe(1);
    expect(sightline(['silence', 'create', '-m', 'bad matcher', '--duration', '1h', '--comment', 'x']).stderr).toContain('not a matcher');
    expect(sightline(['silence', 'create', '-m', 'alertname=~(a)\\1', '--duration', '1h', '--comment', 'x']).stderr).toContain('invalid regular expression "(a)\\\\1" (RE2 syntax): invalid escape sequence: `\\1`');
  });

  it('refuses a silence ending past year 9999, and lists one stored before that check', () => {
    const tooLong = sightline(['silence', 'create', '-m', 'service=billing', '--duration', '99999999d', '--comment', 'forever']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('--duration: duration is too long');
    expect(sightline(['silence', 'create', '-m', 'service=billing', '--starts', '1900-01-01T00:00:00Z', '--duration', '1h', '--comment', 'x']).stderr).toContain('--starts: startsAt must lie between');
    // A start without an offset would be read in this machine's zone: refused, saying why.
    expect(sightline(['silence', 'create', '-m', 'service=billing', '--starts', '2026-11-21T04:00:00', '--duration', '1h', '--comment', 'x']).stderr).toContain('--starts: "2026-11-21T04:00:00" has no UTC offset');
    expect(sightline(['token', 'create', '--name', 'zoneless', '--scopes', 'read', '--expires', '2030-01-01T00:00:00']).stderr).toContain('has no UTC offset');

    const db = new Database(path.join(dataDir, 'sightline.db'));
    try {
      db.prepare('INSERT INTO silences (id, kind, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run('out-of-range', 'silence', '[{"name":"service","value":"billing","isRegex":false,"isEqual":true}]', Date.now(), Date.now() + 99_999_999 * 86_400_000, 'old', 'stored before the check', Date.now());
    } finally {
      db.close();
    }
    const listed = sightline(['silence', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/out-of-range\s+silence\s+active .* → 9999-12-31T23:59:59\.999Z/);
  });

  it('lists every configuration problem and exits non-zero', () => {
    const file = path.join(dataDir, 'bad.yaml');
    writeFileSync(file, 'port: -1\ncorrelation:\n  joinWindow: later\n');
    const out = sightline(['migrate', '--config', file], { DATABASE_URL: 'mysql://nope' });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('invalid configuration');
    expect(out.stderr).toContain('port');
    expect(out.stderr).toContain('correlation.joinWindow');
    expect(out.stderr).toContain('databaseUrl (DATABASE_URL)');
  });

  it('gives the agent its --config, and fails on a missing or invalid file (exit 2)', () => {
    const dir = mkdtempSync(path.join(dataDir, 'agent-'));
    const good = path.join(dir, 'agent.yaml');
    writeFileSync(good, "listen: ''\nchecks:\n  - { name: api, type: tcp, target: '127.0.0.1:9' }\n");
    const checked = sightline(['agent', '--config', good, '--check-config']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('configuration OK: 1 checks');

    const missing = sightline(['agent', '--config', path.join(dir, 'missing.yaml'), '--check-config']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.yaml: cannot read/);

    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'interval: [\n');
    expect(sightline(['agent', '--config', broken, '--check-config'])).toMatchObject({ code: 2, stderr: expect.stringContaining('invalid YAML') });

    const invalid = path.join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'listen: nowhere\n');
    expect(sightline(['agent', '--config', invalid, '--check-config'])).toMatchObject({ code: 2, stderr: expect.stringContaining('listen: expected host:port') });
  });

  it('checks the server configuration with --check-config; a missing or invalid file exits 2', () => {
    const dir = mkdtempSync(path.join(dataDir, 'server-'));
    const good = path.join(dir, 'sightline.yaml');
    writeFileSync(good, 'port: 9999\nservices:\n  - { name: checkout, tier: 1 }\n');
    const checked = sightline(['server', '--config', good, '--data-dir', dir, '--check-config']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain(`configuration OK (${good}): listen 0.0.0.0:9999, database SQLite in ${dir}, 1 services`);
    expect(existsSync(path.join(dir, 'sightline.db'))).toBe(false);

    const missing = sightline(['server', '--config', path.join(dir, 'missing.yaml'), '--check-config']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read config file');
    // Not only with --check-config: a server never starts on defaults instead of a file it cannot read.
    expect(sightline(['server', '--config', path.join(dir, 'missing.yaml'), '--port', '0']).code).toBe(2);

    const invalid = path.join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'port: [\n');
    expect(sightline(['server', '--config', invalid, '--check-config'])).toMatchObject({ code: 2, stderr: expect.stringContaining('invalid YAML') });
  });

  it('says where --config and --data-dir go when they come before the command', () => {
    const out = sightline(['--config', 'sightline.yaml', 'migrate']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--config and --data-dir go after the command');
  });

  it('takes --data-dir and --config on every command that opens the database', () => {
    const dir = path.join(mkdtempSync(path.join(dataDir, 'elsewhere-')), 'data');
    const db = path.join(dir, 'sightline.db');
    expect(sightline(['migrate', '--data-dir', dir]).stdout).toContain(`database is up to date (sqlite ${db})`);
    expect(sightline(['token', 'create', '--name', 'ci', '--scopes', 'ingest', '--data-dir', dir]).code).toBe(0);
    // The same database through a configuration file's dataDir (with no SIGHTLINE_DATA_DIR over it).
    const file = path.join(dir, '..', 'sightline.yaml');
    writeFileSync(file, `dataDir: ${dir}\n`);
    const noEnv = { SIGHTLINE_DATA_DIR: '' };
    expect(sightline(['token', 'list', '--config', file], noEnv).stdout).toMatch(/\bci\s+ingest\b/);
    const silenced = sightline(['silence', 'create', '-m', 'service=x', '--duration', '1h', '--comment', 'c', '--config', file], noEnv);
    expect(silenced.code, silenced.stderr).toBe(0);
    expect(sightline(['silence', 'list', '--data-dir', dir]).stdout).toContain(silenced.stdout.trim());
    expect(sightline(['silence', 'expire', silenced.stdout.trim(), '--data-dir', dir]).code).toBe(0);
    expect(sightline(['token', 'revoke', 'ci', '--data-dir', dir]).code).toBe(0);
    expect(sightline(['backup', '--out', path.join(dir, 'copy.db'), '--config', file], noEnv).code).toBe(0);
    expect(sightline(['replay', '--from', '1d', '--data-dir', dir]).code).toBe(0);
    // Not the environment's database: that one has no token "ci".
    expect(sightline(['token', 'list']).stdout).not.toMatch(/\bci\s+ingest\b/);
  });

  it('creates no database without --init: a command run elsewhere says where it looked', () => {
    const dir = path.join(mkdtempSync(path.join(dataDir, 'nowhere-')), 'data');
    const db = path.join(dir, 'sightline.db');
    const refused = sightline(['token', 'create', '--name', 'ci', '--scopes', 'ingest', '--data-dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`no Sightline database at ${db}`);
    expect(refused.stderr).toContain('--init');
    expect(refused.stdout).toBe('');
    for (const args of [['token', 'list'], ['token', 'revoke', 'ci'], ['silence', 'create', '-m', 'a=b', '--duration', '1h', '--comment', 'c'], ['silence', 'list'], ['silence', 'expire', 'x'], ['backup', '--out', path.join(dir, 'copy.db')], ['replay', '--from', '1d']]) {
      const out = sightline([...args, '--data-dir', dir]);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr, args.join(' ')).toContain(`no Sightline database at ${db}`);
    }
    expect(existsSync(db)).toBe(false);

    const created = sightline(['token', 'create', '--name', 'ci', '--scopes', 'ingest', '--data-dir', dir, '--init']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(`created a new database: sqlite ${db}`);
    expect(sightline(['token', 'list', '--data-dir', dir])).toMatchObject({ code: 0, stdout: expect.stringMatching(/\bci\s+ingest\b/) });

    // migrate creates a database (that is its job), and says so.
    const other = path.join(dir, '..', 'other');
    expect(sightline(['migrate', '--data-dir', other]).stderr).toContain(`created a new database: sqlite ${path.join(other, 'sightline.db')}`);
    expect(sightline(['migrate', '--data-dir', other]).stderr).not.toContain('created');
  });

  it('refuses a second server on the same SQLite file, and starts once the first is gone', async () => {
    const dir = mkdtempSync(path.join(dataDir, 'locked-'));
    const lock = path.join(dir, 'sightline.db.lock');
    const first = await startSightline({ dataDir: dir, env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    const second = sightline(['server', '--data-dir', dir, '--port', '0', '--host', '127.0.0.1']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`cannot start: another Sightline server (pid ${first.proc.child.pid}`);
    expect(second.stderr).toContain(path.join(dir, 'sightline.db'));
    expect(existsSync(lock)).toBe(true);
    // Nor does the demo load into it (it runs a server of its own, and --force removes the file).
    const demo = sightline(['demo', '--data-dir', dir, '--days', '1', '--force']);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain(`cannot load the demo: another Sightline server (pid ${first.proc.child.pid}`);
    await first.stop();
    expect(existsSync(lock)).toBe(false);

    // A server killed outright leaves its lock behind; the next one takes it over.
    const killed = await startSightline({ dataDir: dir, env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    await killed.kill();
    expect(existsSync(lock)).toBe(true);
    const next = await startSightline({ dataDir: dir, env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    await next.stop();
  }, 90_000);
});
