/**
 * `sightline backup` copies the SQLite database while the server keeps ingesting; a server
 * started on the copy has everything that was acknowledged before the backup began.
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, SIGHTLINE_CLI, startSightline, stopAllProcesses, waitFor } from '../helpers/processes.js';

afterAll(async () => {
  await stopAllProcesses();
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SIGHTLINE_CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('backup and restore', () => {
  it('backs up online under load and restores into a working server', { timeout: 60_000 }, async () => {
    const live = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    const batch = (r: number) => ({ alerts: Array.from({ length: 20 }, (_, i) => ({ labels: { alertname: 'BackupLoad', service: `bk-${r % 4}`, instance: `r${r}-${i}:9100` }, startsAt: new Date(Date.now() - 60_000).toISOString() })) });
    // Acknowledged before the backup starts: these must be in the copy.
    for (let r = 0; r < 40; r++) expect((await live.postJson('/api/v1/alerts', batch(r))).status).toBe(200);

    let loading = true;
    let extra = 40;
    const load = (async () => {
      while (loading) {
        const res = await live.postJson('/api/v1/alerts', batch(extra++));
        await res.arrayBuffer();
      }
    })();
    const out = path.join(makeTempDir('sightline-backup-'), 'copy.db');
    const backup = await run(['backup', '--out', out], { SIGHTLINE_DATA_DIR: live.dataDir });
    loading = false;
    await load;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`to ${out}`);
    expect(backup.stderr).toMatch(/backup: 100%/);
    expect((await run(['backup', '--out', out], { SIGHTLINE_DATA_DIR: live.dataDir })).stderr).toContain('already exists');

    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = (copy.prepare("select count(*) as n from alert_events where source = 'api'").get() as { n: number }).n;
    copy.close();
    expect(stored).toBeGreaterThanOrEqual(40 * 20);
    await live.stop();

    // Restore: the copy becomes the database file of a fresh data directory.
    const restoredDir = makeTempDir('sightline-restored-');
    copyFileSync(out, path.join(restoredDir, 'sightline.db'));
    const restored = await startSightline({ dataDir: restoredDir, env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
    await waitFor('the restored server to correlate everything', async () => {
      const page = await restored.getJson<{ items: { alertCount: number }[] }>('/api/v1/incidents?limit=500');
      const total = page.items.reduce((sum, i) => sum + i.alertCount, 0);
      return total === stored;
    });
    const page = await restored.getJson<{ items: { service: string }[] }>('/api/v1/incidents?limit=500');
    expect(new Set(page.items.map((i) => i.service))).toEqual(new Set(['bk-0', 'bk-1', 'bk-2', 'bk-3']));
    await restored.stop();
  });
});
