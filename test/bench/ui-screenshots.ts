/**
 * Screenshots of every web UI page, for the README: starts a real server on the given data
 * directory (e.g. one filled by `npx sightline demo`), signs in in Debian's Chromium and
 * saves one PNG per page to docs/screenshots/.
 *
 * Usage: npm run screenshots:ui -- [--data-dir ./data] [--out docs/screenshots]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, signIn, UI_PAGES, watchErrors } from '../helpers/browser.js';
import { ADMIN_TOKEN, startSightline, stopAllProcesses } from '../helpers/processes.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dataDir = path.resolve(option('data-dir') ?? 'data');
const out = path.resolve(option('out') ?? 'docs/screenshots');
mkdirSync(out, { recursive: true });
const server = await startSightline({ dataDir, env: process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {} });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors = watchErrors(page);
  await signIn(page, server.url, ADMIN_TOKEN);
  const shots: [string, string][] = [...UI_PAGES];
  const list = await page.goto(server.url + '/ui/incidents?status=all').then(() => page.content());
  const incident = /data-incident="(\d+)"/.exec(list)?.[1];
  if (incident) shots.push(['incident-detail', `/ui/incidents/${incident}`]);
  const capacity = await page.goto(server.url + '/ui/capacity').then(() => page.content());
  const host = /data-host="([^"]+)"/.exec(capacity)?.[1];
  if (host) shots.push(['capacity-host', `/ui/capacity/${encodeURIComponent(host)}`]);
  for (const [name, p] of shots) {
    await page.goto(server.url + p);
    const file = path.join(out, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    console.log(`saved ${path.relative(process.cwd(), file)} (${p})`);
  }
  if (errors.length) console.warn(`console errors:\n${errors.join('\n')}`);
} finally {
  await browser.close();
  await stopAllProcesses();
}
