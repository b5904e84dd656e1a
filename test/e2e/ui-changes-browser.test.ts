/**
 * "What changed" on the incident page in a real browser against a real server: a deploy
 * recorded in the server's database, an alert on its service four minutes later, and the
 * incident page naming the deploy as the likely cause, first of its list, with no console
 * error. The screenshot goes to test/.artifacts/ui/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn, watchErrors } from '../helpers/browser.js';
import { startSightline, stopAllProcesses, type SightlineProcess } from '../helpers/processes.js';

const SHOTS = path.resolve('test/.artifacts/ui');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('what changed, in Chromium', () => {
  let server: SightlineProcess;
  let browser: Browser;
  let incidentId: number;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startSightline();
    const now = Date.now();
    // Recorded as an intake would: a deploy of payments 4 minutes before its alert, and an older one.
    const db = new Database(server.databaseFile);
    const insert = db.prepare(
      "INSERT INTO changes (service, summary, kind, started_at, finished_at, version, author, links, labels, source, received_at) VALUES (?, ?, 'deploy', ?, NULL, ?, 'ci', '[]', '{}', 'api', ?)",
    );
    insert.run('payments', 'deploy v2.3.0 of payments', now - 90 * MIN, 'v2.3.0', now - 90 * MIN);
    insert.run('payments', 'deploy v2.3.1 of payments', now - 5 * MIN, 'v2.3.1', now - 5 * MIN);
    db.close();
    const alert = { labels: { alertname: 'PaymentErrors', service: 'payments', severity: 'critical' }, annotations: { summary: 'payments failing' }, status: 'firing', startsAt: iso(now - MIN) };
    expect((await server.postJson('/api/v1/alerts', { alerts: [alert] })).status).toBeLessThan(300);
    for (let tries = 0; ; tries++) {
      const list = await server.getJson<{ items: { id: number }[] }>('/api/v1/incidents?limit=1');
      if (list.items.length === 1) {
        incidentId = (list.items[0] as { id: number }).id;
        break;
      }
      if (tries > 100) throw new Error('expected an incident');
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopAllProcesses();
  });

  it('shows the changes before the incident, the likely cause first', { timeout: 40_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, server.token);
    await page.goto(`${server.url}/ui/incidents/${incidentId}`);
    const section = page.locator('section[data-section="what-changed"]');
    await expect(section.locator('h2').textContent()).resolves.toBe('What changed');
    await expect(section.locator('[data-likely-cause]').textContent()).resolves.toBe('Likely cause: deploy v2.3.1 of payments 4 min before');
    const rows = section.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.first().textContent()).resolves.toContain('deploy v2.3.1 of payments (likely cause)');
    await expect(rows.nth(1).textContent()).resolves.not.toContain('likely cause');
    await section.screenshot({ path: path.join(SHOTS, 'what-changed.png') });
    expect(errors).toEqual([]);
  });
});
