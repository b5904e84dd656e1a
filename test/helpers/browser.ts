/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, and without
 * the sandbox when running as root (containers), which Chromium otherwise refuses.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install the Debian package \`chromium\` (apt-get install chromium; .ci/run installs it in CI)`);
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** Collects console errors and uncaught page errors (CSP violations are console errors). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/** Signs in through the form; the page ends on the incident list. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl + '/');
  await page.waitForURL(/\/ui\/sign-in/);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/ui\/incidents/);
}

/** The pages every user lands on, as [name, path]. */
export const UI_PAGES: readonly [string, string][] = [
  ['incidents', '/ui/incidents?status=all'],
  ['sla', '/ui/sla'],
  ['capacity', '/ui/capacity'],
  ['agents', '/ui/agents'],
  ['services', '/ui/services'],
];
