/**
 * `sightline replay --rebuild`, run as the built command line: a realistic stream goes through
 * a real server (cascades over a service catalogue, flapping, noise, a silence, re-sent copies,
 * a sender's acknowledgement, people acknowledging, resolving, annotating and editing incidents
 * in between), the server stops, and the rebuild from the logs must store exactly the derived
 * state live operation stored. It refuses while a server runs (SQLite lock, PostgreSQL leader
 * lease) and while people's merges or splits would be lost.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/db/connection.js';
import { claimLease } from '../../server/src/db/leader-lease-repo.js';
import { acquireServerLock } from '../../server/src/db/server-lock.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { mergeIncidents } from '../../server/src/services/incidents.js';
import { LEADER_LEASE } from '../../server/src/services/leadership.js';
import { generateStorm, stormEvents, type StormEvent } from '../bench/storm/generate.js';
import { renderTopologyYaml } from '../bench/storm/topology.js';
import { readDerivedState, type DerivedState } from '../helpers/derived-state.js';
import { dialects, startTestServer } from '../helpers/runtime.js';

const SEC = 1000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'server', 'src', 'cli.js');

const storm = generateStorm({ seed: 7, days: 1, services: 14, faultsPerDay: 10, noisePerDay: 25 });
const START = storm.options.start;

/** Events arrive at their event time, on a 10 s grid. */
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

describe.each(dialects())('sightline replay --rebuild on %s', (dialect) => {
  let where: { dataDir: string; databaseUrl: string | null };
  let configFile: string;
  let live: DerivedState;
  let events = 0;
  let people = 0;

  /** The built command line, as documented: `sightline replay --rebuild --config … --data-dir …`. */
  function rebuild(...extra: string[]) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', SIGHTLINE_LOG_LEVEL: 'warn' };
    if (where.databaseUrl) env.DATABASE_URL = where.databaseUrl;
    const result = spawnSync(process.execPath, [cli, 'replay', '--rebuild', '--config', configFile, '--data-dir', where.dataDir, ...extra], { encoding: 'utf8', env, timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  const derived = () => readDerivedState(where, { processingTimes: true });

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    const s = await startTestServer(dialect, {}, renderTopologyYaml(storm.topology));
    where = { dataDir: s.runtime.config.dataDir, databaseUrl: s.runtime.config.databaseUrl ?? null };
    configFile = path.join(where.dataDir, 'sightline.yaml');
    s.clock.set(START - HOUR);
    const silence = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { matchers: { alertname: 'BackupJobSlow' }, startsAt: iso(START), endsAt: iso(START + 24 * HOUR), comment: 'the nightly backup is known to overrun' },
    });
    expect(silence.status).toBe(201);
    let previous = -Infinity;
    let sent = 0;
    let batches = 0;
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
      sent += alerts.length;
      // A sender that retries: every seventh request arrives twice.
      if (sent % 7 === 0) expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
      await s.settle();
      // A PagerDuty-style sender opens a fault and acknowledges it a little later.
      if (previous === -Infinity || (batch.at - START) % (6 * HOUR) < 10 * SEC) {
        const key = `pd-${batch.at}`;
        const trigger = { routing_key: s.tokens.ingest, event_action: 'trigger', dedup_key: key, payload: { summary: `Disk full on db-${batch.at % 7}`, source: `db-${batch.at % 7}`, severity: 'error' } };
        expect((await s.request('POST', '/v2/enqueue', { token: null, json: trigger })).status).toBe(202);
        await s.settle();
        expect((await s.request('POST', '/v2/enqueue', { token: null, json: { routing_key: s.tokens.ingest, event_action: 'acknowledge', dedup_key: key } })).status).toBe(202);
        await s.settle();
      }
      // People act on incidents between the events: acknowledge, note, edit, resolve.
      batches++;
      if (batches % 9 === 0) {
        const open = (await (await s.request('GET', '/api/v1/incidents?status=open,acknowledged&limit=50', { token: s.tokens.read })).json()) as { items: { id: number; status: string }[] };
        // The newest few (the same one more than once when fewer are open).
        const [a, b, c] = [0, 1, 2].map((k) => open.items[Math.min(k, open.items.length - 1)]);
        const act = async (method: string, url: string, json: unknown, expected: number) => {
          s.clock.advance(SEC);
          expect((await s.request(method, url, { token: s.tokens.write, json })).status).toBe(expected);
          people++;
        };
        if (a) await act('POST', `/api/v1/incidents/${a.id}/${a.status === 'open' ? 'acknowledge' : 'resolve'}`, a.status === 'open' ? { note: `on it (${batches})` } : { note: `on it (${batches})`, force: true }, 200);
        if (b) await act('POST', `/api/v1/incidents/${b.id}/notes`, { text: `looked at batch ${batches}` }, 201);
        if (c) await act('PATCH', `/api/v1/incidents/${c.id}`, batches % 2 ? { priority: 'P1', assignee: 'alice' } : { priority: null }, 200);
        await s.settle();
      }
      previous = batch.at;
    }
    events = Number((await s.runtime.handle.db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    // The server stops; its data stays for the rebuild.
    await s.runtime.close();
    live = await derived();
  }, 300_000);

  afterAll(() => {
    if (where) rmSync(where.dataDir, { recursive: true, force: true });
  });

  it('stores exactly the derived state live operation stored, and says how fast it went', () => {
    // The stream exercised what it should: cascades, sender acknowledgements, re-fires, resolves.
    expect(live.incidents.length).toBeGreaterThan(10);
    expect(live.timeline.some((t) => t.kind === 'acknowledged' && t.actor === 'pagerduty')).toBe(true);
    expect(live.timeline.some((t) => t.kind === 'service_reached')).toBe(true);
    expect(live.timeline.some((t) => t.kind === 'flapping')).toBe(true);
    expect(live.alerts.some((a) => a.suppressed_by !== null)).toBe(true);
    expect(live.pastEpisodes.length).toBeGreaterThan(0);
    // People's actions, in the stream: several of each kind.
    expect(people).toBeGreaterThan(20);
    for (const kind of ['acknowledged', 'resolved', 'note', 'updated']) expect(live.timeline.filter((t) => t.kind === kind && t.actor === 'test-write').length).toBeGreaterThan(2);
    expect(live.cursor).toBeGreaterThan(0);

    const out = rebuild();
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^reading ${events} alert events from the log$`, 'm'));
    expect(out.stdout).toMatch(/^correlated \d+\/\d+ events \(\d+ events\/s\)$/m);
    expect(out.stdout).toMatch(new RegExp(`^Rebuilt the derived state from ${events} alert events \\(read in [\\d.]+ s, correlated in [\\d.]+ s(, \\d+ events/s)?, written in [\\d.]+ s\\)$`, 'm'));
    expect(out.stdout).toContain(`correlator cursor at event ${live.cursor}`);
    expect(out.stdout).toContain(`${people} people's action(s) applied again from their log`);
    expect(out.stdout).not.toContain('no longer applied');
  });

  it('compares equal to live, and the comparison sees a single changed row', async () => {
    expect(await derived()).toEqual(live);
    const handle = openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl, sqliteSynchronous: 'NORMAL' });
    try {
      const first = live.incidents[0] as { id: number; alert_count: number };
      await handle.db.updateTable('incidents').set({ alert_count: first.alert_count + 1 }).where('id', '=', first.id).execute();
      expect(await derived()).not.toEqual(live);
      await handle.db.deleteFrom('incident_timeline').where('kind', '=', 'alert_resolved').execute();
    } finally {
      await handle.close();
    }
    // A rebuild repairs it.
    expect(rebuild().code).toBe(0);
    expect(await derived()).toEqual(live);
  });

  it("refuses while people's merges would be lost, and discards them when told", async () => {
    const before = await derived();
    const handle = openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl, sqliteSynchronous: 'NORMAL' });
    try {
      const [a, b] = live.incidents.filter((i) => i.status === 'resolved') as { id: number }[];
      expect(a && b).toBeTruthy();
      const merged = await mergeIncidents({ handle, clock: new ManualClock(START + 30 * HOUR), resolveHoldDownMs: 300_000 }, (a as { id: number }).id, (b as { id: number }).id, 'alice');
      expect(merged.ok).toBe(true);
    } finally {
      await handle.close();
    }
    const withMerge = await derived();
    const refused = rebuild();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 people's action\(s\) on incidents \(1 merge\(s\)\) are not in the log of actions and would be lost; nothing was changed \(give --discard-actions/);
    expect(await derived()).toEqual(withMerge);

    const discarded = rebuild('--discard-actions');
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain("1 people's action(s) not in their log (merges, splits, older ones) discarded");
    expect(await derived()).toEqual(before);
  });

  it('says which options do not go with --rebuild', () => {
    expect(rebuild('--from', '7d')).toMatchObject({ code: 2, stderr: expect.stringContaining('--rebuild folds the whole log with the live configuration: drop --from') });
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}) };
    const alone = spawnSync(process.execPath, [cli, 'replay', '--discard-actions', '--from', '7d', '--data-dir', where.dataDir], { encoding: 'utf8', env, timeout: 60_000 });
    expect({ code: alone.status, stderr: alone.stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining('--discard-actions goes with --rebuild') });
  });

  it('refuses while a server runs on the database', async () => {
    if (dialect === 'sqlite') {
      const lock = acquireServerLock(where.dataDir);
      if (!lock.ok) throw new Error(lock.error.message);
      try {
        const out = rebuild();
        expect(out.code).toBe(1);
        expect(out.stderr).toMatch(/cannot rebuild: another Sightline server \(pid \d+, since .*\) uses .*sightline\.db; stop it first/);
      } finally {
        lock.value.release();
      }
    } else {
      const handle = openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl, sqliteSynchronous: 'NORMAL' });
      try {
        expect(await claimLease(handle.db, handle.dialect, LEADER_LEASE, 'sl-1', 60_000, null)).not.toBeNull();
        const out = rebuild();
        expect(out.code).toBe(1);
        expect(out.stderr).toMatch(/a Sightline replica holds the leader lease .*: stop every replica first/);
        // The refusal changed nothing, not even the lease.
        const lease = await handle.db.selectFrom('leader_lease').select(['holder']).executeTakeFirstOrThrow();
        expect(lease.holder).toBe('sl-1');
      } finally {
        await handle.close();
      }
    }
    expect(await derived()).toEqual(live);
  });
});
