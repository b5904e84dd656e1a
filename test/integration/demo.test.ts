/**
 * `sightline demo` on both databases: a short history loaded through the real runtime, then
 * read back through the API as the web UI would — incidents (storms compressed), services
 * with SLA, agents (one down), capacity with a disk forecast — plus the refusal to load into
 * a database that holds data, `--force`, determinism for a seed, and the built command line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadConfig, type ServerConfig } from '../../server/src/config.js';
import { loadDemo, type DemoSummary } from '../../server/src/demo/load-demo.js';
import { FILLING_DISK } from '../../server/src/demo/scenario.js';
import { createRuntime, type Runtime } from '../../server/src/main.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { dialects } from '../helpers/runtime.js';
import { createTestDatabase } from '../helpers/postgres.js';

const END = Date.parse('2026-11-20T09:00:00.000Z');
const DAYS = 4;

describe.each(dialects())('sightline demo (%s)', (dialect) => {
  let config: Readonly<ServerConfig>;
  let dataDir: string;
  let summary: DemoSummary;
  let runtime: Runtime;
  let admin: string;
  const get = async <T>(url: string): Promise<T> => {
    const res = await runtime.app.request(url, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status, url).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-demo-'));
    const databaseUrl = dialect === 'postgres' ? await createTestDatabase(inject('postgresUrl') as string) : undefined;
    const loaded = loadConfig({ env: { SIGHTLINE_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    config = loaded.config;
    const result = await loadDemo({ config, seed: 7, days: DAYS, end: END, force: false });
    if (!result.ok) throw new Error(result.error.message);
    summary = result.value;
    admin = summary.adminToken as string;
    // Read it back as the server would serve it: same database, the clock at the demo's end.
    runtime = await createRuntime(config, { clock: new ManualClock(END), log: pino({ level: 'silent' }), defaultMetrics: false });
  }, 120_000);
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints an admin token that works on the loaded data', async () => {
    expect(admin).toMatch(/^sl_/);
    expect(runtime.bootstrapToken).toBeNull();
    expect(summary.from).toBe(END - DAYS * 86_400_000);
    expect(summary.to).toBe(END);
  });

  it('turns the alerts into a plausible number of incidents, storms into few', async () => {
    expect(summary.alertEvents).toBeGreaterThan(60);
    expect(summary.incidents.total).toBeGreaterThanOrEqual(10);
    expect(summary.incidents.total).toBeLessThanOrEqual(45);
    expect(summary.incidents.total).toBeLessThan(summary.alertEvents / 2);
    expect(summary.storms.length).toBeGreaterThanOrEqual(3);
    for (const storm of summary.storms) {
      expect(storm.alerts).toBeGreaterThanOrEqual(4);
      expect(storm.incidents).toBeGreaterThanOrEqual(1);
      expect(storm.incidents).toBeLessThanOrEqual(2);
    }
    const { items } = await get<{ items: { id: number; status: string; alertCount: number; rootCauseService: string | null; assignee: string | null }[] }>('/api/v1/incidents?limit=500');
    expect(items).toHaveLength(summary.incidents.total);
    // A storm: one incident holding many alerts, postgres named as the root cause.
    expect(items.some((i) => i.alertCount >= 8 && i.rootCauseService === 'postgres')).toBe(true);
    // Every state a newcomer should see, and people's names on the work.
    for (const status of ['open', 'acknowledged', 'on_hold']) expect(items.filter((i) => i.status === status).length, status).toBeGreaterThanOrEqual(1);
    expect(items.filter((i) => i.status === 'resolved' || i.status === 'closed').length).toBeGreaterThanOrEqual(5);
    expect(items.some((i) => ['alice', 'bob', 'carol', 'dave'].includes(i.assignee ?? ''))).toBe(true);
    // Recurring faults on different hosts and pods become problem candidates.
    expect(summary.problemCandidates).toBeGreaterThanOrEqual(2);
    const candidates = await get<{ items: { name: string }[] }>('/api/v1/problem-candidates');
    expect(candidates.items).toHaveLength(summary.problemCandidates as number);
    expect(summary.mttaMinutes).not.toBeNull();
    expect(summary.mttrMinutes).not.toBeNull();
  });

  it('records why alerts joined, who acted, and flapping', async () => {
    const { items } = await get<{ items: { id: number; alertCount: number }[] }>('/api/v1/incidents?limit=500');
    const storm = items.reduce((a, b) => (b.alertCount > a.alertCount ? b : a));
    const detail = await get<{ timeline: { kind: string; actor: string; data: { method?: string } | null }[] }>(`/api/v1/incidents/${storm.id}`);
    expect(detail.timeline.some((t) => t.kind === 'alert_joined' && t.data?.method === 'topology')).toBe(true);
    const alerts = await get<{ items: { flapping: boolean; suppressedBy: string | null }[] }>('/api/v1/alerts?limit=1000');
    expect(alerts.items.some((a) => a.flapping)).toBe(true);
  });

  it('fills the catalogue with tiers, owners, dependencies and SLA policies', async () => {
    const { items } = await get<{ items: { name: string; tier: number; owner: string; dependsOn: string[]; sla: { objective: string; targets: Record<string, unknown> } | null }[] }>('/api/v1/services');
    expect(items.map((s) => s.name).sort()).toEqual(['auth', 'cache', 'catalog', 'checkout', 'email', 'frontend', 'payments', 'postgres', 'queue', 'search']);
    expect(items.find((s) => s.name === 'checkout')).toMatchObject({ tier: 1, owner: 'team-shop', dependsOn: ['payments', 'cache', 'auth'] });
    expect(items.find((s) => s.name === 'postgres')?.sla).toMatchObject({ objective: '99.95', downtime: { incidentPriorities: ['P1'] } });
    expect(Object.keys(items.find((s) => s.name === 'frontend')?.sla?.targets ?? {})).toContain('P1');
    const sla = await get<{ items: { service: string; downtimeSeconds: number; budget: { consumedSeconds: number } }[] }>('/api/v1/sla');
    expect(sla.items).toHaveLength(summary.servicesWithSla);
    expect(summary.servicesWithSla).toBe(7);
    // Faults cost some services part of their error budget.
    expect(sla.items.filter((s) => s.downtimeSeconds > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('has agents with inventory on every host, one of them down', async () => {
    const { items } = await get<{ items: { agentId: string; host: string; status: string }[] }>('/api/v1/agents');
    expect(items).toHaveLength(11);
    expect(items.filter((a) => a.status === 'down').map((a) => a.host)).toEqual(['mq-1']);
    const one = await get<{ inventory: { cpu: { logicalCores: number } } | null; checks: unknown[] }>(`/api/v1/agents/${items[0]?.agentId}`);
    expect(one.inventory?.cpu.logicalCores).toBeGreaterThan(0);
    expect(one.checks.length).toBeGreaterThan(0);
    const open = await get<{ items: { title: string; status: string; priority: string; priorityOverridden: boolean; host: string | null }[] }>('/api/v1/incidents?status=open,acknowledged&limit=500');
    expect(open.items.some((i) => i.title.startsWith('AgentDown'))).toBe(true);
    // Sightline's own capacity warning for the filling disk, taken by someone and re-prioritised.
    const disk = open.items.find((i) => i.title.startsWith('SightlineFilesystemFullSoon'));
    expect(disk).toMatchObject({ status: 'acknowledged', priority: 'P3', priorityOverridden: true, host: FILLING_DISK.host });
  });

  it('has capacity series for every host and forecasts the filling disk', async () => {
    const { items } = await get<{ items: { host: string; resources: { resource: string; mountpoint: string; daysUntilFull: number | null; p95: number | null }[] }[] }>('/api/v1/capacity');
    expect(items).toHaveLength(11);
    expect(items[0]?.host).toBe(FILLING_DISK.host);
    const disk = items[0]?.resources.find((r) => r.mountpoint === FILLING_DISK.mountpoint);
    const truth = (1 - FILLING_DISK.usedAtEnd) / FILLING_DISK.perDay;
    expect(disk?.daysUntilFull).toBeGreaterThan(truth * 0.8);
    expect(disk?.daysUntilFull).toBeLessThan(truth * 1.2);
    expect(summary.worstDisk).toMatchObject({ host: FILLING_DISK.host, mountpoint: FILLING_DISK.mountpoint });
    for (const host of items) expect(new Set(host.resources.map((r) => r.resource)), host.host).toEqual(new Set(['cpu', 'memory', 'filesystem', 'network']));
  });

  it('refuses a database that holds data, and replaces it with --force, the same for the same seed', async () => {
    await runtime.close();
    const refused = await loadDemo({ config, seed: 7, days: DAYS, end: END, force: false });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('CONFLICT');
      expect(refused.error.message).toMatch(/already holds data .*incidents.*--force/);
    }
    const again = await loadDemo({ config, seed: 7, days: DAYS, end: END, force: true });
    expect(again.ok).toBe(true);
    if (again.ok) {
      const { seconds: _a, adminToken: _b, ...first } = summary;
      const { seconds: _c, adminToken: _d, ...second } = again.value;
      expect(second).toEqual(first);
    }
    runtime = await createRuntime(config, { clock: new ManualClock(END), log: pino({ level: 'silent' }), defaultMetrics: false });
  }, 120_000);
});

describe('sightline demo (command line)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cli = path.join(root, 'dist', 'server', 'src', 'cli.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-demo-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 });

  it('loads, prints the summary and how to start, then refuses to load again', () => {
    const help = run(['demo', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--days <n>[\s\S]*--seed <n>[\s\S]*--force/);

    const first = run(['demo', '--data-dir', dir, '--days', '1', '--until', '2026-11-20T09:00:00Z']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Demo data loaded into sqlite .* in [\d.]+ s/);
    expect(first.stdout).toMatch(/incidents: +\d+/);
    expect(first.stdout).toContain(`npx sightline server --data-dir ${dir}`);
    expect(first.stdout).toMatch(/Admin token .*\n +sl_[\w-]{43}\n/);

    const second = run(['demo', '--data-dir', dir, '--days', '1']);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already holds data .*--force to replace it/);
    expect(run(['demo', '--days', '0']).stderr).toContain('--days must be a whole number from 1 to 90');
    expect(run(['demo', '--data-dir', dir, '--until', '2999-01-01T00:00:00Z']).stderr).toContain('cannot end in the future');
    expect(run(['demo', '--data-dir', dir, '--until', 'yesterday']).stderr).toContain('not an RFC 3339 time');
  }, 60_000);
});
