/**
 * Promoting a problem candidate in a real browser against a real server: recurring incidents
 * posted to the API, candidates refreshed, then the problem manager's path through the UI —
 * candidates, one candidate, promote, the new problem — with no console error, and neither
 * page wider than a 390 px phone screen. Screenshots go
 * to test/.artifacts/ui/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn, watchErrors } from '../helpers/browser.js';
import { startSightline, stopAllProcesses, type SightlineProcess } from '../helpers/processes.js';

const SHOTS = path.resolve('test/.artifacts/ui');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('problem management in Chromium', () => {
  let server: SightlineProcess;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startSightline();
    const now = Date.now();
    for (let n = 1; n <= 5; n++) {
      const at = now - (26 - n * 5) * 24 * HOUR;
      const labels = { alertname: 'DiskFull', service: 'storage', severity: 'critical', instance: `db-${n}.prod:9100` };
      const annotations = { summary: `filesystem /var/lib/pgdata on db-${n}.prod is ${90 + n}% full` };
      for (const alert of [
        { labels, annotations, status: 'firing', startsAt: iso(at) },
        { labels, annotations, status: 'resolved', startsAt: iso(at), endsAt: iso(at + HOUR) },
      ])
        expect((await server.postJson('/api/v1/alerts', { alerts: [alert] })).status).toBeLessThan(300);
    }
    // The correlator runs in the background: wait until the five incidents exist, then refresh.
    for (let tries = 0; ; tries++) {
      const list = await server.getJson<{ items: unknown[] }>('/api/v1/incidents?limit=10');
      if (list.items.length >= 5) break;
      if (tries > 100) throw new Error(`expected 5 incidents, found ${list.items.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await server.postJson('/api/v1/problem-candidates/refresh', {})).status).toBe(200);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopAllProcesses();
  });

  it('promotes a problem candidate to a problem', { timeout: 40_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, server.token);
    await page.getByRole('link', { name: 'Problems' }).click();
    await page.waitForURL(/\/ui\/problems\/candidates/);
    const row = page.locator('tr[data-candidate]', { hasText: 'DiskFull' });
    await expect(row.count()).resolves.toBe(1);
    // Ranked by impact, the score's inputs beside it: five P2 incidents of a service without a policy (15 points).
    await expect(page.locator('thead th').allTextContents()).resolves.toContain('Impact');
    await expect(row.locator('td.num').first().textContent()).resolves.toBe('1');
    await expect(row.locator('td.num strong').textContent()).resolves.toBe('15.0');
    await expect(row.locator('td.num div').textContent()).resolves.toBe('5×P2 · no SLA downtime');
    await page.screenshot({ path: path.join(SHOTS, 'problem-candidates.png'), fullPage: true });
    await row.getByRole('link').first().click();
    await page.waitForURL(/\/ui\/problems\/candidates\/[^/]+$/);
    await expect(page.locator('figure svg[role="img"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('section[aria-labelledby="members"] tbody tr').count()).resolves.toBe(5);
    await page.screenshot({ path: path.join(SHOTS, 'problem-candidate.png'), fullPage: true });
    await page.getByLabel('Problem title').fill('Database disks fill up');
    await page.getByRole('button', { name: 'Promote to problem' }).click();
    await page.waitForURL(/\/ui\/problems\/\d+\?done=promote/);
    await expect(page.locator('h1').textContent()).resolves.toContain('Database disks fill up');
    await expect(page.locator('section[aria-labelledby="pincidents"] tbody tr').count()).resolves.toBe(5);
    await page.screenshot({ path: path.join(SHOTS, 'problem.png'), fullPage: true });
    const problems = await server.getJson<{ items: { title: string; status: string }[] }>('/api/v1/problems');
    expect(problems.items).toEqual([expect.objectContaining({ title: 'Database disks fill up', status: 'open' })]);
    // On a 390 px phone neither the candidate nor the problem scrolls sideways.
    const problemUrl = page.url();
    await page.goBack();
    const candidateUrl = page.url();
    await page.setViewportSize({ width: 390, height: 844 });
    const widths: Record<string, number> = {};
    for (const url of [candidateUrl, problemUrl]) {
      await page.goto(url);
      widths[url] = await page.evaluate<number>('document.scrollingElement.scrollWidth');
    }
    expect(Object.entries(widths).filter(([, w]) => w > 391)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
