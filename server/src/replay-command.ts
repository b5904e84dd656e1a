/**
 * @module `sightline replay`: re-runs correlation over a window of the stored alert log into
 * a scratch database, with the live rules or a configuration file to try, and prints how the
 * incidents differ from what happened. Registered on the CLI at start-up; the replay and the
 * server's modules load only when the command runs.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ServerConfig } from './config.js';
import type { DatabaseHandle } from './db/connection.js';
import { parseDuration } from './domain/duration.js';

export interface ReplayCommandDeps {
  /** The live server configuration (the command's `--config` and `--data-dir`, environment). */
  configFrom(command: Command): Readonly<ServerConfig>;
  /** Opens the live database for the duration of `fn` (refusing to create one). */
  withDatabase<T>(config: Readonly<ServerConfig>, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T>;
  /** Takes the data directory's server lock for the rest of the process (SQLite), or exits saying who holds it. */
  holdServerLock?(config: Readonly<ServerConfig>, refusal: string): Promise<void>;
  /** Defaults to the system clock and stdout. */
  now?(): number;
  write?(text: string): void;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A point in time: `now`, an ISO 8601 date or time (2026-11-21, 2026-11-21T04:00:00Z), or a
 * duration meaning that long ago (90m, 7d, 1h30m). Null when it is none of these.
 */
export function parseReplayTime(text: string, now: number): number | null {
  const value = text.trim();
  if (value === 'now') return now;
  const ago = parseDuration(value);
  if (ago !== null) return now - ago;
  if (!ISO_DATE.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function timeArgument(now: () => number) {
  return (text: string) => {
    const ms = parseReplayTime(text, now());
    if (ms === null) throw new InvalidArgumentError(`not a time: use an ISO 8601 time (2026-11-21T04:00:00Z), a date (2026-11-21), "now", or a duration ago (7d, 90m)`);
    return ms;
  };
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

interface ReplayCommandOptions {
  from?: number;
  to?: number;
  rules?: string;
  top: number;
  json?: boolean;
  rebuild?: boolean;
  discardActions?: boolean;
}

export function registerReplayCommand(program: Command, deps: ReplayCommandDeps): Command {
  const now = deps.now ?? (() => Date.now());
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));

  async function rebuild(opts: ReplayCommandOptions, command: Command): Promise<void> {
    const misplaced = (['from', 'to', 'rules'] as const).filter((k) => opts[k] !== undefined);
    if (misplaced.length > 0) command.error(`error: --rebuild folds the whole log with the live configuration: drop ${misplaced.map((k) => `--${k}`).join(', ')}`, { exitCode: 2 });
    const config = deps.configFrom(command);
    await deps.holdServerLock?.(config, 'cannot rebuild');
    const { rebuildDerivedState } = await import('./rebuild.js');
    const { hostname } = await import('node:os');
    const progress = (line: string) => {
      if (!opts.json) write(`${line}\n`);
    };
    const result = await deps.withDatabase(config, (handle) =>
      rebuildDerivedState({ handle, config, now, holder: `rebuild:${hostname()}:${process.pid}`, discardActions: Boolean(opts.discardActions), progress }),
    );
    if (!result.ok) command.error(`error: ${result.error.message}`, { exitCode: 1 });
    const r = result.value;
    if (opts.json) {
      write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const rate = r.correlateMs > 0 ? `, ${Math.round((r.events / r.correlateMs) * 1000)} events/s` : '';
    const lines = [
      `Rebuilt the derived state from ${r.events} alert events (read in ${(r.readMs / 1000).toFixed(2)} s, correlated in ${(r.correlateMs / 1000).toFixed(2)} s${rate}, written in ${(r.writeMs / 1000).toFixed(2)} s)`,
      `  ${r.alerts} alerts, ${r.pastEpisodes} past episodes, ${r.incidents} incidents, ${r.timeline} timeline entries; correlator cursor at event ${r.cursor}`,
    ];
    if (r.skipped > 0) lines.push(`  ${r.skipped} event(s) set aside as dead letters were skipped, as live`);
    if (r.actions > 0) lines.push(`  ${r.actions} people's action(s) applied again from their log`);
    if (r.skippedActions > 0) lines.push(`  ${r.skippedActions} recorded action(s) no longer applied (their incident is gone, another, or in another status)`);
    if (r.discardedActions > 0) lines.push(`  ${r.discardedActions} people's action(s) not in their log (merges, splits, older ones) discarded`);
    write(`${lines.join('\n')}\n`);
  }
  return program
    .command('replay')
    .description('re-run correlation over the stored alert log in memory and compare the incidents with what happened')
    .option('--from <time>', 'start of the window, on alert start times: ISO 8601 or a duration ago (7d); required unless --rebuild', timeArgument(now))
    .option('--to <time>', 'end of the window, exclusive (default: now)', timeArgument(now))
    .option('--rules <file>', 'a server configuration YAML with the rules to try (default: the live configuration)')
    .option('--top <n>', 'how many differences to list', positiveInteger, 10)
    .option('--json', 'print the whole result as JSON')
    .option('--rebuild', 'recompute the derived state (alerts, incidents, timeline) from the whole log and store it; the server must be stopped')
    .option('--discard-actions', "with --rebuild: go ahead even though people's merges, splits and actions older than their log will be lost")
    .addHelpText(
      'after',
      `
The live database is only read. Alerts that started in [--from, --to) are replayed in the
order the live correlator applied them, with the silences and (unless the rules file defines
services) the live service catalogue. The rules file is read as it is: only its correlation,
services and noise settings matter, and environment overrides do not apply to it.

With --rebuild, the whole log is folded through the engine and the derived state (alert state
and past episodes, incidents with their services and hosts, the correlator's timeline, hosts
seen) is replaced by the result, in one transaction, and the correlator's cursor is left at
the end of the log. It refuses while a server runs on the SQLite file, or (PostgreSQL) while a
replica holds the leader lease. People's acknowledgements, resolves, notes and edits are
applied again where they were made; merges and splits are not recorded, so it refuses while
there are any unless --discard-actions.

Examples:
  sightline replay --from 7d
  sightline replay --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z --rules tuned.yaml
  sightline replay --from 24h --rules tuned.yaml --json
  sightline replay --rebuild --data-dir /var/lib/sightline`,
    )
    .action(async (opts: ReplayCommandOptions, command: Command) => {
      // These errors are about values, not usage: the message is enough.
      command.showHelpAfterError(false);
      if (opts.rebuild) return rebuild(opts, command);
      if (opts.discardActions) command.error('error: --discard-actions goes with --rebuild', { exitCode: 2 });
      if (opts.from === undefined) command.error("error: required option '--from <time>' not specified", { exitCode: 2 });
      const to = opts.to ?? now();
      if (!(opts.from < to)) command.error(`error: --from (${new Date(opts.from).toISOString()}) must be before --to (${new Date(to).toISOString()})`);
      const live = deps.configFrom(command);
      let rules = live;
      if (opts.rules) {
        const { loadConfig } = await import('./config.js');
        const loaded = loadConfig({ file: opts.rules, env: {} });
        if (!loaded.ok) command.error(`error: --rules ${opts.rules} is not a valid configuration:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}`, { exitCode: 2 });
        rules = loaded.config;
      }
      const { replayAlertLog, formatReplaySummary } = await import('./replay.js');
      const from = opts.from;
      const result = await deps.withDatabase(live, (source) => replayAlertLog({ source, config: rules, from, to, catalogue: opts.rules && rules.services.length > 0 ? 'config' : 'live' }));
      write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatReplaySummary(result, opts.top));
    });
}
