/** The built `sightline` command line, run as a user would run it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

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

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('sightline CLI', () => {
  it.each([[[]], [['server']], [['migrate']], [['token']], [['token', 'create']], [['token', 'list']], [['token', 'revoke']], [['silence', 'create']], [['silence', 'list']], [['silence', 'expire']], [['replay']], [['backup']]])('sightline %j --help', (args) => {
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
  });

  it('refuses a silence ending past year 9999, and lists one stored before that check', () => {
    const tooLong = sightline(['silence', 'create', '-m', 'service=billing', '--duration', '99999999d', '--comment', 'forever']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('--duration: duration is too long');
    expect(sightline(['silence', 'create', '-m', 'service=billing', '--starts', '1900-01-01T00:00:00Z', '--duration', '1h', '--comment', 'x']).stderr).toContain('--starts: startsAt must lie between');

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
    const out = sightline(['--config', file, 'migrate'], { DATABASE_URL: 'mysql://nope' });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('invalid configuration');
    expect(out.stderr).toContain('port');
    expect(out.stderr).toContain('correlation.joinWindow');
    expect(out.stderr).toContain('databaseUrl (DATABASE_URL)');
  });
});
