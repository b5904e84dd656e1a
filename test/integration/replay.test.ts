import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from '../../server/src/config.js';
import { compareGroupings, formatReplaySummary, planArrivalRuns, replayAlertLog, type ReplayResult } from '../../server/src/replay.js';
import { parseReplayTime, registerReplayCommand } from '../../server/src/replay-command.js';
import { generateStorm, stormEvents, type StormEvent } from '../bench/storm/generate.js';
import { renderTopologyYaml } from '../bench/storm/topology.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

// A small seeded storm: cascades over a service catalogue, flapping, noise, a nightly job.
const storm = generateStorm({ seed: 4242, days: 1, services: 14, faultsPerDay: 10, noisePerDay: 25 });
const START = storm.options.start;
const END = START + 26 * HOUR;

/** Events arrive at their event time, on a 10 s grid; the server's housekeeping ticks in between. */
function arrivals(events: readonly StormEvent[]): { at: number; events: StormEvent[] }[] {
  const out: { at: number; events: StormEvent[] }[] = [];
  for (const event of events) {
    const at = Math.floor(event.at / (10 * SEC)) * 10 * SEC + 10 * SEC;
    const last = out[out.length - 1];
    if (last && last.at === at) last.events.push(event);
    else out.push({ at, events: [event] });
  }
  return out;
}

function rulesConfig(dir: string, name: string, yaml: string): Readonly<ServerConfig> {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  const loaded = loadConfig({ file, env: {} });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.config;
}

const TABLES = ['alert_events', 'alerts', 'incidents', 'incident_timeline', 'incident_services', 'incident_hosts', 'services', 'silences', 'configuration_items', 'api_tokens'] as const;

describe.each(dialects())('replay of the alert log on %s', (dialect) => {
  let s: TestServer;
  let dir: string;
  let snapshot: unknown;

  async function snapshotOf(server: TestServer) {
    const db = server.runtime.handle.db;
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return {
      counts,
      events: await db.selectFrom('alert_events').selectAll().orderBy('id').execute(),
      alerts: await db.selectFrom('alerts').selectAll().orderBy('id').execute(),
      incidents: await db.selectFrom('incidents').selectAll().orderBy('id').execute(),
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-replay-test-'));
    s = await startTestServer(dialect, {}, renderTopologyYaml(storm.topology));
    s.clock.set(START - HOUR);
    const silence = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { matchers: { alertname: 'BackupJobSlow' }, startsAt: iso(START), endsAt: iso(START + 24 * HOUR), comment: 'the nightly backup is known to overrun' },
    });
    expect(silence.status).toBe(201);
    let previous = -Infinity;
    for (const batch of arrivals(stormEvents(storm))) {
      // The periodic housekeeping tick before the batch arrives.
      if (batch.at - 5 * SEC > previous) {
        s.clock.set(batch.at - 5 * SEC);
        await s.settle();
      }
      s.clock.set(batch.at);
      const alerts = batch.events.map(({ status, episode }) => ({
        labels: episode.labels,
        annotations: episode.annotations,
        status,
        startsAt: iso(episode.startsAt),
        ...(status === 'resolved' ? { endsAt: iso(episode.endsAt) } : {}),
      }));
      const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } });
      expect(res.status).toBe(200);
      await s.settle();
      previous = batch.at;
    }
    s.clock.set(END);
    await s.settle();
    snapshot = await snapshotOf(s);
  });

  afterAll(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const replay = (config: Readonly<ServerConfig>, window: { from: number; to: number } = { from: START, to: END }) =>
    replayAlertLog({ source: s.runtime.handle, config, ...window, catalogue: 'live' });

  it('with the live rules, reproduces the live incidents exactly', async () => {
    const result = await replay(s.runtime.config);
    const stored = await s.runtime.handle.db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(result.events).toBe(Number(stored.n));
    expect(result.catalogue).toEqual({ from: 'live', services: storm.topology.services.length });
    expect(result.silences).toBe(1);
    expect(result.live.incidents).toBeGreaterThan(10);
    // The storm has cascades: incidents hold several alerts.
    expect(result.live.compression).toBeGreaterThan(1.2);
    expect(result.pairs.both).toBeGreaterThan(0);
    expect(result.pairs.onlyLive).toBe(0);
    expect(result.pairs.onlyReplay).toBe(0);
    expect(result.attached).toEqual({ onlyLive: 0, onlyReplay: 0 });
    expect(result.differences).toEqual([]);
    expect(result.replay).toEqual(result.live);
    expect(result.operatorActions).toBe(0);
    expect(result.openedBeforeWindow).toBe(0);
    expect(formatReplaySummary(result)).toContain('Same grouping as live');
  });

  it('with a longer join window, reports the incidents it merges', async () => {
    const result = await replay(rulesConfig(dir, 'long-window.yaml', 'correlation:\n  joinWindow: 2h\n  reopenWindow: 2h\n  topologySpreadPerHop: 2h\n  topologyUpstreamWindow: 2h\n  maxIncidentSpan: 2d\n'));
    expect(result.replay.incidents).toBeLessThan(result.live.incidents);
    expect(result.replay.compression).toBeGreaterThan(result.live.compression);
    expect(result.pairs.onlyReplay).toBeGreaterThan(0);
    const merges = result.differences.filter((d) => d.kind === 'merge');
    expect(merges.length).toBeGreaterThan(0);
    for (const merge of merges) {
      expect(merge.live.length).toBeGreaterThanOrEqual(2);
      expect(merge.pairs).toBeGreaterThan(0);
      expect(merge.replay.title).not.toBe('');
    }
    // Largest first.
    expect(result.differences.map((d) => d.pairs)).toEqual([...result.differences.map((d) => d.pairs)].sort((a, b) => b - a));
    const summary = formatReplaySummary(result, 3);
    expect(summary).toMatch(/replay #\d+ ".+" \(\d+ alerts\) merges live #\d+/);
    expect(summary).toContain('the 3 largest');
  });

  it('without topology hops, reports the live incidents it splits', async () => {
    const result = await replay(rulesConfig(dir, 'no-topology.yaml', 'correlation:\n  topologyHops: 0\n'));
    expect(result.replay.incidents).toBeGreaterThan(result.live.incidents);
    expect(result.pairs.onlyLive).toBeGreaterThan(0);
    const splits = result.differences.filter((d) => d.kind === 'split');
    expect(splits.length).toBeGreaterThan(0);
    for (const split of splits) expect(split.replay.length).toBeGreaterThanOrEqual(2);
    expect(formatReplaySummary(result)).toMatch(/live #\d+ ".+" \(\d+ alerts\) splits into replay #\d+/);
  });

  it('is deterministic: the same log and rules give the same incidents', async () => {
    const config = rulesConfig(dir, 'grouped.yaml', 'correlation:\n  groupBy: [alertname]\n  joinWindow: 30m\n');
    // Everything but how long it took.
    const first = { ...(await replay(config)), correlateMs: 0 };
    const second = { ...(await replay(config)), correlateMs: 0 };
    expect(second).toEqual(first);
    expect(first.replay.digest).not.toBe(first.live.digest);
  });

  it('replays only the episodes that started in the window, whole', async () => {
    // Cut through an incident: the window starts just after its first alert.
    const cut = await s.runtime.handle.db
      .selectFrom('incident_timeline')
      .innerJoin('incidents', 'incidents.id', 'incident_timeline.incident_id')
      .select('incidents.opened_at')
      .where('incident_timeline.kind', '=', 'alert_joined')
      .whereRef('incident_timeline.at', '>', 'incidents.opened_at')
      .orderBy('incident_timeline.id')
      .executeTakeFirstOrThrow();
    const from = Number(cut.opened_at) + 1;
    const to = from + 12 * HOUR;
    const result = await replay(s.runtime.config, { from, to });
    const inWindow = await s.runtime.handle.db
      .selectFrom('alert_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('starts_at', '>=', from)
      .where('starts_at', '<', to)
      .executeTakeFirstOrThrow();
    expect(result.events).toBe(Number(inWindow.n));
    expect(result.events).toBeGreaterThan(0);
    const full = await replay(s.runtime.config);
    expect(result.events).toBeLessThan(full.events);
    expect(result.from).toBe(from);
    expect(result.to).toBe(to);
    // Alerts of incidents that began before the window are not replayed: said, not hidden.
    const before = await s.runtime.handle.db.selectFrom('incidents').select('id').where('opened_at', '<', from).where('last_activity_at', '>=', from).execute();
    expect(result.openedBeforeWindow).toBeLessThanOrEqual(before.length);
    expect(result.openedBeforeWindow).toBeGreaterThan(0);
    expect(formatReplaySummary(result)).toContain('opened before the window');
  });

  it('uses the services of a rules file instead of the live catalogue', async () => {
    const config = rulesConfig(dir, 'services.yaml', 'services:\n  - name: lonely\n    tier: 3\n');
    const result = await replayAlertLog({ source: s.runtime.handle, config, from: START, to: END, catalogue: 'config' });
    expect(result.catalogue).toEqual({ from: 'config', services: 1 });
    // Without the topology the storm's cascades fall apart.
    expect(result.pairs.onlyLive).toBeGreaterThan(0);
  });

  it('runs as `sightline replay`, printing a summary or JSON', async () => {
    let out = '';
    const program = () => {
      const p = new Command().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
      p.option('-c, --config <file>');
      registerReplayCommand(p, { configFrom: () => s.runtime.config, withDatabase: (_config, fn) => fn(s.runtime.handle), now: () => END, write: (text) => (out += text) });
      return p;
    };
    await program().parseAsync(['replay', '--from', iso(START), '--to', iso(END)], { from: 'user' });
    expect(out).toContain('Replay of 2026-11-16T00:00:00Z → 2026-11-17T02:00:00Z');
    expect(out).toContain('Same grouping as live');

    out = '';
    const rules = path.join(dir, 'cli-rules.yaml');
    writeFileSync(rules, 'correlation:\n  joinWindow: 2h\n  reopenWindow: 2h\n  topologySpreadPerHop: 2h\n  topologyUpstreamWindow: 2h\n  maxIncidentSpan: 2d\n');
    await program().parseAsync(['replay', '--from', '26h', '--rules', rules, '--json'], { from: 'user' });
    const json = JSON.parse(out) as ReplayResult;
    expect(json.from).toBe(START);
    expect(json.to).toBe(END);
    expect(json.pairs.onlyReplay).toBeGreaterThan(0);

    const failure = async (args: string[]) => {
      let message = '';
      const p = new Command().exitOverride().configureOutput({ writeOut: () => {}, writeErr: (text) => (message += text) });
      registerReplayCommand(p, { configFrom: () => s.runtime.config, withDatabase: (_config, fn) => fn(s.runtime.handle), now: () => END, write: () => {} });
      await expect(p.parseAsync(['replay', ...args], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
      return message;
    };
    expect(await failure(['--to', iso(END)])).toMatch(/required option '--from <time>' not specified/);
    expect(await failure(['--from', 'last tuesday'])).toMatch(/--from <time>' argument 'last tuesday' is invalid\. not a time: use an ISO 8601 time/);
    expect(await failure(['--from', '1d', '--to', '2026-13-45'])).toMatch(/--to <time>' argument '2026-13-45' is invalid/);
    expect(await failure(['--from', iso(END), '--to', iso(START)])).toMatch(/--from \(2026-11-17T02:00:00.000Z\) must be before --to \(2026-11-16T00:00:00.000Z\)/);
    writeFileSync(path.join(dir, 'bad.yaml'), 'correlation:\n  joinWindow: soon\n');
    expect(await failure(['--from', '1d', '--rules', path.join(dir, 'bad.yaml')])).toMatch(/--rules .*bad\.yaml is not a valid configuration:\n {2}- correlation\.joinWindow.*: not a duration: "soon"/);
  });

  it('never changes the live database', async () => {
    expect(await snapshotOf(s)).toEqual(snapshot);
  });
});

describe.each(dialects())('replay of the correlator’s own merges on %s', (dialect) => {
  let s: TestServer;
  let dir: string;
  const T = Date.parse('2026-11-20T10:00:00.000Z');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-replay-merge-'));
    const services = ['db', 'api', 'worker'].map((name) => `  - name: ${name}\n    tier: 2\n${name === 'db' ? '' : '    dependsOn: [db]\n'}`).join('');
    s = await startTestServer(dialect, {}, `services:\n${services}`);
    // Symptoms on api and worker open incidents of their own before db's alert arrives.
    for (const [service, at] of [['api', T], ['worker', T + 20 * SEC], ['db', T + MIN]] as const) {
      s.clock.set(at + SEC);
      const alert = { labels: { alertname: 'Trouble', service }, annotations: { summary: `${service} in trouble` }, startsAt: iso(at) };
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
      await s.settle();
    }
    s.clock.set(T + HOUR);
    await s.settle();
  });
  afterAll(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const replay = (config: Readonly<ServerConfig>) => replayAlertLog({ source: s.runtime.handle, config, from: T - HOUR, to: T + HOUR, catalogue: 'live' });

  it('counts the episodes of a merged incident where they went, and merges the same way', async () => {
    const result = await replay(s.runtime.config);
    expect(result.live).toMatchObject({ incidents: 1, alerts: 3 });
    expect(result.replay).toEqual(result.live);
    expect(result.differences).toEqual([]);
    expect(result.operatorActions).toBe(0);
  });

  it('with merging off, reports the live incident it leaves apart', async () => {
    const result = await replay(rulesConfig(dir, 'no-merge.yaml', 'correlation:\n  mergeSymptomIncidents: false\n'));
    expect(result.replay.incidents).toBe(2);
    expect(result.pairs).toMatchObject({ both: 1, onlyLive: 2, onlyReplay: 0 });
    expect(result.differences).toHaveLength(1);
    expect(result.differences[0]).toMatchObject({ kind: 'split', pairs: 2, live: { alerts: 3 } });
  });
});

describe('replay building blocks', () => {
  const NOW = Date.parse('2026-11-21T04:00:00.000Z');

  it.each([
    ['now', NOW],
    ['7d', NOW - 7 * 86_400_000],
    ['1h30m', NOW - 90 * 60_000],
    ['2026-11-20T00:00:00Z', Date.parse('2026-11-20T00:00:00Z')],
    ['2026-11-20T01:00:00.500+02:00', Date.parse('2026-11-19T23:00:00.500Z')],
    ['2026-11-20', Date.parse('2026-11-20T00:00:00Z')],
  ])('reads %s as a time', (text, expected) => {
    expect(parseReplayTime(text, NOW)).toBe(expected);
  });

  it.each(['', 'yesterday', '7 days', '-1d', '2026-13-01', '2026-11-20T25:00:00Z', '1700000000000', 'Nov 20 2026'])('rejects %j', (text) => {
    expect(parseReplayTime(text, NOW)).toBeNull();
  });

  it('groups arrivals close together into runs; a re-sent event counts from its first arrival', () => {
    expect(planArrivalRuns([], 5000)).toEqual([]);
    expect(planArrivalRuns([0, 1000, 5000, 5001, 20_000], 5000)).toEqual([
      { first: 0, last: 2, startsAt: 0, endsAt: 5000 },
      { first: 3, last: 3, startsAt: 5001, endsAt: 5001 },
      { first: 4, last: 4, startsAt: 20_000, endsAt: 20_000 },
    ]);
    // Event 1 was re-sent at 90 s; it was first applied before event 2 (at 30 s).
    expect(planArrivalRuns([0, 90_000, 30_000], 5000)).toEqual([
      { first: 0, last: 0, startsAt: 0, endsAt: 0 },
      { first: 1, last: 2, startsAt: 30_000, endsAt: 30_000 },
    ]);
  });

  it('compares groupings pairwise and names the splits and merges', () => {
    const live = new Map([
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['d', 2],
      ['e', 3],
      ['f', 4],
    ]);
    const replay = new Map([
      ['a', 10],
      ['b', 10],
      ['c', 11],
      ['d', 11],
      ['e', 12],
      ['g', 13],
    ]);
    const compared = compareGroupings(live, replay);
    // Live pairs ab ac bc; replay pairs ab cd.
    expect(compared.pairs).toEqual({ both: 1, onlyLive: 2, onlyReplay: 1, agreement: 0.4 });
    expect(compared.attached).toEqual({ onlyLive: 1, onlyReplay: 1 });
    expect(compared.splits).toEqual([{ pairs: 2, live: 1, replay: [[10, 2], [11, 1]] }]);
    expect(compared.merges).toEqual([{ pairs: 1, replay: 11, live: [[1, 1], [2, 1]] }]);
    expect(compareGroupings(live, live).pairs).toEqual({ both: 3, onlyLive: 0, onlyReplay: 0, agreement: 1 });
  });
});
