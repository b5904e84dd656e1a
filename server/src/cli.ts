#!/usr/bin/env node
/**
 * @module The `sightline` command line: run the server, migrate the database, manage tokens.
 */
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CONFIG_ENV_VARS, loadConfig, type ServerConfig } from './config.js';
import { parseDuration } from './domain/duration.js';
import { SCOPES } from './domain/token.js';
import { parseRfc3339 } from './domain/time.js';
import type { DatabaseHandle } from './db/connection.js';
import { regexProblem, type Matcher } from './domain/matchers.js';
import type { LocalAgent } from './local-agent.js';
import type { Runtime } from './main.js';
import { registerReplayCommand } from './replay-command.js';
import { systemClock } from './services/clock.js';
import { packageVersion } from './version.js';

// The server's modules (database drivers, HTTP, metrics) load only for the commands that use
// them, so `sightline agent` stays as light as the agent's own entry point.
const server = () => import('./main.js');
const tokenService = () => import('./services/tokens.js');

interface ConfigOptions {
  config?: string;
  dataDir?: string;
  port?: string;
  host?: string;
}

/** The configuration file of a command: its `--config`, else SIGHTLINE_CONFIG. */
function configFileOf(command: Command): string | null {
  return command.opts<ConfigOptions>().config ?? process.env.SIGHTLINE_CONFIG ?? null;
}

function configFrom(command: Command): Readonly<ServerConfig> {
  const options = command.opts<ConfigOptions>();
  const env: Record<string, string | undefined> = { ...process.env };
  if (options.dataDir !== undefined) env.SIGHTLINE_DATA_DIR = options.dataDir;
  if (options.port !== undefined) env.SIGHTLINE_PORT = options.port;
  if (options.host !== undefined) env.SIGHTLINE_HOST = options.host;
  const file = configFileOf(command);
  const result = loadConfig({ file, env });
  if (!result.ok) {
    process.stderr.write(`sightline: invalid configuration${file ? ` (${file})` : ''}:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  return result.config;
}

/**
 * What a command does when the configured database does not exist yet: the server and
 * `migrate` create it; other commands refuse (those that can usefully start one, with `--init`),
 * since one run in the wrong directory would otherwise start an empty database of its own (a
 * token the running server does not know, a silence it never applies).
 */
type NewDatabase = 'create' | 'refuse' | 'refuse-without-init';

async function withDatabase<T>(config: Readonly<ServerConfig>, fn: (handle: DatabaseHandle) => Promise<T>, newDatabase: NewDatabase = 'refuse'): Promise<T> {
  const { databaseExists, migrateDatabase, openDatabase, sqliteFile } = await import('./db/connection.js');
  const created = !(await databaseExists(config));
  if (created && newDatabase !== 'create') {
    const where = config.databaseUrl ? 'in the PostgreSQL database of DATABASE_URL (it has no Sightline tables)' : `at ${sqliteFile(config.dataDir)}`;
    const init = newDatabase === 'refuse-without-init' ? '; or give --init to create a new one' : '';
    fail(`no Sightline database ${where}: give the server's --data-dir or --config (or run this where the server's ./data is)${init}`);
  }
  const handle = openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrateDatabase(handle);
    if (created) process.stderr.write(`sightline: created a new database: ${handle.dialect} ${handle.location}\n`);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/**
 * One server per SQLite file (the demo runs one in-process, too): the data directory's lock,
 * held until the process exits, also through `fail`.
 */
async function holdServerLock(config: Readonly<ServerConfig>, refusal: string): Promise<void> {
  if (config.databaseUrl) return;
  const { acquireServerLock } = await import('./db/server-lock.js');
  const lock = acquireServerLock(config.dataDir);
  if (!lock.ok) fail(`${refusal}: ${lock.error.message}`);
  process.once('exit', () => lock.value.release());
}

function fail(message: string, exitCode = 1): never {
  process.stderr.write(`sightline: ${message}\n`);
  process.exit(exitCode);
}

/** `sightline server`'s exit code when the SQLite file is damaged (PRAGMA quick_check). */
const EXIT_DATABASE_DAMAGED = 3;

const program = new Command()
  .name('sightline')
  .description('Monitoring-driven AIOps for IT service management: alerts in, incidents out.')
  .version(packageVersion())
  .addHelpText('after', `\nEvery command that reads the configuration takes --config <file> and --data-dir <dir> after its name.\nEnvironment overrides: ${CONFIG_ENV_VARS.join(', ')}`)
  // Options belong to the command they follow: `sightline agent --config agent.yaml` gives the
  // file to the agent, and each command lists its own --config and --data-dir.
  .enablePositionalOptions()
  // Taken before the command only to say where they go (they once were global options).
  .addOption(new Option('-c, --config <file>').hideHelp())
  .addOption(new Option('-d, --data-dir <dir>').hideHelp())
  .hook('preAction', (self) => {
    const misplaced = self.opts<ConfigOptions>();
    if (misplaced.config !== undefined || misplaced.dataDir !== undefined) {
      self.showHelpAfterError(false);
      self.error(`error: --config and --data-dir go after the command, e.g. \`sightline migrate --config ${misplaced.config ?? 'sightline.yaml'}\``, { exitCode: 2 });
    }
  })
  .showHelpAfterError();

const DATA_DIR_HELP = 'directory of the SQLite database (env: SIGHTLINE_DATA_DIR, default ./data); DATABASE_URL selects PostgreSQL';

/** A command that reads the server's configuration: `--config` and `--data-dir` (with `-d` where it does not clash). */
function configuredCommand(parent: Command, name: string, dataDirFlags = '--data-dir <dir>'): Command {
  return parent
    .command(name)
    .option('-c, --config <file>', 'YAML configuration file (env: SIGHTLINE_CONFIG)')
    .option(dataDirFlags, DATA_DIR_HELP);
}

configuredCommand(program, 'server', '-d, --data-dir <dir>')
  .description('run the HTTP server and the correlator (migrates the database first)')
  .option('-p, --port <port>', 'listen port (env: SIGHTLINE_PORT, default 8080)')
  .option('-H, --host <host>', 'listen address (env: SIGHTLINE_HOST, default 0.0.0.0)')
  .option('--local-agent [listen]', 'also run a host agent for this machine, reporting here (its /metrics on listen, default 127.0.0.1:9101)')
  .option('--check-config', 'validate the configuration, print a summary and exit (2 on errors)')
  .option('--skip-integrity-check', `start without checking the SQLite file first (PRAGMA quick_check; a damaged file otherwise stops the start with exit code ${EXIT_DATABASE_DAMAGED})`)
  .action(async (opts: { localAgent?: string | boolean; checkConfig?: boolean; skipIntegrityCheck?: boolean }, command: Command) => {
    const config = configFrom(command);
    if (opts.checkConfig) {
      const file = configFileOf(command);
      const database = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${path.resolve(config.dataDir)}`;
      process.stdout.write(`configuration OK (${file ?? 'no file: defaults and environment'}): listen ${config.host}:${config.port}, database ${database}, ${config.services.length} services, ${config.notifications.webhooks.length} webhooks\n`);
      return;
    }
    // Before the lock: a lock file left by an earlier server is evidence that a database lived here.
    const lost = config.databaseUrl ? null : (await import('./db/data-dir.js')).findLostDatabase(config.dataDir);
    await holdServerLock(config, 'cannot start');
    const { createLogger, startServer } = await server();
    const log = createLogger(config);
    if (lost) log.warn({ dataDir: path.resolve(config.dataDir) }, lost);
    if (opts.skipIntegrityCheck) log.warn('the integrity check of the database was skipped (--skip-integrity-check)');
    let runtime: Runtime;
    let url: string;
    let stopServer: () => Promise<void>;
    try {
      const running = await startServer(config, { log, integrityCheck: !opts.skipIntegrityCheck });
      runtime = running.runtime;
      url = running.url;
      stopServer = () => running.stop();
    } catch (error) {
      const { DatabaseDamagedError } = await import('./db/connection.js');
      if (error instanceof DatabaseDamagedError) {
        fail(
          `cannot start: ${error.message}.\n` +
            `  Restore the file from a backup (see docs/operations.md, "Durability and backups"), or copy out what can be read with \`sqlite3 ${error.file} .recover\`.` +
            (error.foundBy === 'quick_check' ? '\n  To start on it anyway (reads and writes may fail), give --skip-integrity-check.' : ''),
          EXIT_DATABASE_DAMAGED,
        );
      }
      fail(`cannot start: ${(error as Error).message}`);
    }
    const lines = [
      `Sightline ${packageVersion()} listening on ${url}`,
      `  database: ${runtime.handle.dialect} ${runtime.handle.location}`,
    ];
    if (runtime.bootstrapToken) {
      lines.push(
        '  admin token (shown once; store it now, only its hash is kept):',
        `    ${runtime.bootstrapToken}`,
        `  try: curl -H "Authorization: Bearer ${runtime.bootstrapToken}" ${url}/api/v1/incidents`,
      );
    } else if (config.adminToken) {
      lines.push('  admin token: the value of SIGHTLINE_ADMIN_TOKEN');
    } else {
      lines.push('  admin token: created on first start (lost it? `sightline token create --name admin2 --scopes admin`)');
    }
    let localAgent: LocalAgent | null = null;
    if (opts.localAgent) {
      const listen = typeof opts.localAgent === 'string' ? opts.localAgent : '127.0.0.1:9101';
      const loopback = url.replace(/\/\/[^:/]+/, '//127.0.0.1');
      const { startLocalAgent } = await import('./local-agent.js');
      localAgent = await startLocalAgent(runtime, loopback, listen);
      lines.push(`  local agent: reporting this host to ${loopback}; its metrics on http://${listen}/metrics`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void (localAgent?.stop() ?? Promise.resolve())
        .then(() => stopServer())
        .then(() => process.exit(0));
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    // SIGHUP reloads the service catalogue from the configuration file (other settings need a restart).
    process.on('SIGHUP', () => {
      const reloaded = loadConfig({ file: configFileOf(command), env: { ...process.env } });
      if (!reloaded.ok) {
        log.error({ problems: reloaded.problems }, 'reload: invalid configuration; the service catalogue is unchanged');
        return;
      }
      runtime.catalogue.applyConfig(reloaded.config.services).then(
        () => log.info({ services: reloaded.config.services.length }, 'reload: service catalogue applied from the configuration file'),
        (error: unknown) => log.error({ err: error }, 'reload: applying the service catalogue failed'),
      );
    });
  });

program
  .command('agent')
  .description('run the host agent (see `sightline agent --help`)')
  .helpOption(false)
  .passThroughOptions()
  .allowUnknownOption()
  .allowExcessArguments()
  .argument('[args...]')
  .action(async (args: string[]) => {
    // The single `sightline` binary dispatches to the agent's own command line; the agent
    // and the server share no code.
    const { agentCommand } = await import('../../agent/src/cli.js');
    process.exitCode = await agentCommand(args);
  });

configuredCommand(program, 'migrate')
  .description('create or upgrade the database schema, then exit')
  .action(async (_opts, command: Command) => {
    const config = configFrom(command);
    await withDatabase(
      config,
      async (handle) => {
        process.stdout.write(`database is up to date (${handle.dialect} ${handle.location})\n`);
      },
      'create',
    );
  });

const token = program.command('token').description('manage API tokens');

const parseScopes = (value: string) => {
  const scopes = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length) throw new InvalidArgumentError(`scopes are a comma-separated list of ${SCOPES.join(', ')}`);
  return scopes;
};

configuredCommand(token, 'create')
  .description('create a token and print it once')
  .requiredOption('-n, --name <name>', 'unique name, e.g. alertmanager-prod')
  .requiredOption('-s, --scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`, parseScopes)
  .option('-e, --expires-in <duration>', 'expire after this long, e.g. 90d')
  .option('--expires <when>', 'expire after a duration (30d) or at an ISO 8601 time; the token then gets 401')
  .option('--init', 'create the database if there is none yet (e.g. a token for a sender before the first start)')
  .action(async (opts: { name: string; scopes: string[]; expiresIn?: string; expires?: string; init?: boolean }, command: Command) => {
    const config = configFrom(command);
    if (opts.expiresIn && opts.expires) fail('give --expires or --expires-in, not both');
    const expires = opts.expires ?? opts.expiresIn;
    await withDatabase(config, async (handle) => {
      const { createToken, resolveTokenExpiry } = await tokenService();
      let expiresAt: number | null = null;
      if (expires) {
        const expiry = resolveTokenExpiry(expires, systemClock.now());
        if (!expiry.ok) fail(`--expires: ${expiry.error.message}`);
        else expiresAt = expiry.value;
      }
      const created = await createToken(handle.db, systemClock, { name: opts.name, scopes: opts.scopes, expiresAt });
      if (!created.ok) fail(created.error.message);
      process.stderr.write(`token ${created.value.record.name} (${created.value.record.scopes.join(',')}) created; it is shown only now:\n`);
      process.stdout.write(`${created.value.token}\n`);
    }, opts.init ? 'create' : 'refuse-without-init');
  });

configuredCommand(token, 'list')
  .description('list tokens (never their values)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }, command: Command) => {
    const config = configFrom(command);
    await withDatabase(config, async (handle) => {
      const { listTokens } = await tokenService();
      const tokens = await listTokens(handle.db);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
        return;
      }
      const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));
      const rows = [['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE']];
      const now = Date.now();
      for (const t of tokens) {
        const state = t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
        rows.push([t.id, t.name, t.scopes.join(','), when(t.createdAt), when(t.lastUsedAt), when(t.expiresAt), state]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      process.stdout.write(`${rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`);
    });
  });

configuredCommand(token, 'revoke')
  .description('revoke a token by id or name')
  .argument('<id-or-name>', 'token id or name')
  .action(async (idOrName: string, _opts, command: Command) => {
    const config = configFrom(command);
    await withDatabase(config, async (handle) => {
      const { revokeTokenByIdOrName } = await tokenService();
      const result = await revokeTokenByIdOrName(handle.db, systemClock, idOrName);
      if (!result.ok) fail(result.error.message);
      process.stdout.write(`revoked ${idOrName}\n`);
    });
  });

const silence = program.command('silence').description('manage silences and maintenance windows');

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex`, as in amtool. */
function parseMatcher(text: string, previous: Matcher[] = []): Matcher[] {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`not a matcher: ${text} (use name=value, name!=value, name=~regex or name!~regex)`);
  const op = m[2] as string;
  const problem = op.includes('~') ? regexProblem(m[3] as string) : null;
  if (problem !== null) throw new InvalidArgumentError(`invalid regular expression ${JSON.stringify(m[3])} (RE2 syntax): ${problem}`);
  return [...previous, { name: m[1] as string, value: m[3] as string, isRegex: op.includes('~'), isEqual: !op.startsWith('!') }];
}

/** The command-line option a silence error is about (`--duration: `), or nothing. */
function optionOf(details: unknown): string {
  const field = (details as { field?: string } | undefined)?.field;
  return field === 'duration' ? '--duration: ' : field === 'startsAt' ? '--starts: ' : '';
}

configuredCommand(silence, 'create')
  .description('silence matching alerts (or declare a maintenance window) from now or --starts for --duration')
  .requiredOption('-m, --matcher <matcher>', 'label matcher, repeatable: name=value, name!=value, name=~regex, name!~regex', parseMatcher)
  .requiredOption('-d, --duration <duration>', 'how long, e.g. 2h')
  .requiredOption('--comment <text>', 'why')
  .option('--starts <time>', 'RFC 3339 start with an offset, e.g. 2026-11-21T04:00:00Z (default now)')
  .option('--maintenance', 'a maintenance window (also excluded from SLA) rather than a plain silence')
  .option('--by <name>', 'who creates it', process.env.USER ?? 'cli')
  .option('--init', 'create the database if there is none yet')
  .action(async (opts: { matcher: Matcher[]; duration: string; comment: string; starts?: string; maintenance?: boolean; by: string; init?: boolean }, command: Command) => {
    const config = configFrom(command);
    const ms = parseDuration(opts.duration);
    if (!ms) fail(`--duration: not a duration: ${opts.duration}`);
    const starts = opts.starts ? parseRfc3339(opts.starts) : { ok: true as const, ms: Date.now() };
    if (!starts.ok) fail(`--starts: ${starts.reason}`);
    const startsAt = starts.ms;
    await withDatabase(config, async (handle) => {
      const { createSilence } = await import('./services/silences.js');
      const created = await createSilence({ handle, clock: systemClock }, { kind: opts.maintenance ? 'maintenance' : 'silence', matchers: opts.matcher, startsAt, end: { after: ms }, comment: opts.comment }, opts.by);
      if (!created.ok) fail(`${optionOf(created.error.details)}${created.error.message}`);
      process.stdout.write(`${created.value.id}\n`);
    }, opts.init ? 'create' : 'refuse-without-init');
  });

configuredCommand(silence, 'list')
  .description('list silences and maintenance windows')
  .option('--state <state>', 'active, pending, expired or all', 'all')
  .action(async (opts: { state: string }, command: Command) => {
    const config = configFrom(command);
    if (!['active', 'pending', 'expired', 'all'].includes(opts.state)) fail('--state must be active, pending, expired or all');
    await withDatabase(config, async (handle) => {
      const { listSilencesByState } = await import('./services/silences.js');
      const { silenceState } = await import('./domain/silence.js');
      const now = Date.now();
      for (const s of await listSilencesByState({ handle, clock: systemClock }, opts.state as 'all')) {
        const matchers = s.matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${JSON.stringify(m.value)}`).join(',');
        process.stdout.write(`${s.id}  ${s.kind.padEnd(11)} ${silenceState(s, now).padEnd(7)} ${new Date(s.startsAt).toISOString()} → ${new Date(s.endsAt).toISOString()}  {${matchers}}  ${s.createdBy}: ${s.comment}\n`);
      }
    });
  });

configuredCommand(silence, 'expire')
  .description('end a silence or maintenance window now')
  .argument('<id>', 'silence id')
  .action(async (id: string, _opts, command: Command) => {
    const config = configFrom(command);
    await withDatabase(config, async (handle) => {
      const { expireSilence } = await import('./services/silences.js');
      const result = await expireSilence({ handle, clock: systemClock }, id);
      if (!result.ok) fail(result.error.message);
      process.stdout.write(`expired ${id}\n`);
    });
  });

const slo = program.command('slo').description('SLA policies as OpenSLO v1 files, and Prometheus rules for their metric SLIs');

configuredCommand(slo, 'export')
  .description('print the SLA policies as OpenSLO v1 YAML (Service, SLI, SLO, DataSource, AlertPolicy documents)')
  .option('--service <name>', 'only this service')
  .action(async (opts: { service?: string }, command: Command) => {
    const config = configFrom(command);
    await withDatabase(config, async (handle) => {
      const { exportOpenSloPolicies } = await import('./services/openslo.js');
      const result = await exportOpenSloPolicies({ handle }, opts.service);
      if (!result.ok) fail(`${result.error.message}`);
      process.stdout.write(result.value);
    });
  });

configuredCommand(slo, 'import')
  .description('set SLA policies from an OpenSLO v1 YAML file (all or nothing; a Service document also sets tier, owner, dependencies and matching)')
  .argument('<file>', 'OpenSLO YAML file, - for standard input')
  .option('--dry-run', 'check the file and say what would change, without writing')
  .action(async (file: string, opts: { dryRun?: boolean }, command: Command) => {
    const config = configFrom(command);
    const { readFileSync } = await import('node:fs');
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      fail(`cannot read ${file}: ${(error as Error).message}`);
    }
    await withDatabase(config, async (handle) => {
      const { importOpenSloPolicies } = await import('./services/openslo.js');
      const result = await importOpenSloPolicies({ handle, clock: systemClock }, text, { dryRun: opts.dryRun });
      if (!result.ok) {
        const problems = (result.error.details as { problems?: string[] } | undefined)?.problems ?? [result.error.message];
        fail(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing imported:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 2);
      }
      for (const warning of result.value.warnings) process.stderr.write(`sightline: warning: ${warning}\n`);
      const verb = result.value.dryRun ? 'would ' : '';
      const list = (names: string[]) => (names.length ? names.join(', ') : 'none');
      process.stdout.write(`${verb}create ${result.value.created.length} (${list(result.value.created)}), ${verb}update ${result.value.updated.length} (${list(result.value.updated)})${result.value.dryRun ? '; dry run, nothing written' : ''}\n`);
    });
  });

configuredCommand(slo, 'rules')
  .description('print Prometheus recording rules and multiwindow multi-burn-rate alert rules for the metric SLIs of the SLA policies')
  .option('--service <name>', 'only this service')
  .action(async (opts: { service?: string }, command: Command) => {
    const config = configFrom(command);
    await withDatabase(config, async (handle) => {
      const { prometheusRulesForPolicies } = await import('./services/openslo.js');
      const result = await prometheusRulesForPolicies({ handle }, opts.service);
      if (!result.ok) fail(result.error.message);
      process.stdout.write(result.value);
    });
  });

const change = program.command('change').description('record changes (deploys, configuration, feature flags) on a running server');

/** `name=value`, repeatable. */
function parseLabel(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`not a label: ${text} (use name=value)`);
  return { ...previous, [m[1] as string]: m[2] as string };
}

/** An RFC 3339 time with an offset, as the server takes it. */
function parseTimeOption(text: string): string {
  const parsed = parseRfc3339(text);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
  return text;
}

change
  .command('record')
  .description('record a change on a service through the server\'s API (token from SIGHTLINE_TOKEN, scope write)')
  .option('--server <url>', 'the Sightline server, e.g. https://sightline.example.com (env: SIGHTLINE_URL)')
  .requiredOption('--service <name>', 'the service changed')
  .requiredOption('--summary <text>', 'what changed, e.g. "v2.3.1"')
  .addOption(new Option('--kind <kind>', 'what kind of change').choices(['deploy', 'config', 'feature_flag', 'infrastructure', 'other']).default('deploy'))
  .option('--version <version>', 'the version deployed')
  .option('--author <name>', 'who made the change')
  .option('--link <url>', 'a link (pipeline, diff, ticket), repeatable', (url: string, previous: string[] = []) => [...previous, url])
  .option('--label <name=value>', 'a label, repeatable', parseLabel)
  .option('--started-at <time>', 'RFC 3339 start with an offset (default now)', parseTimeOption)
  .option('--finished-at <time>', 'RFC 3339 end with an offset', parseTimeOption)
  .option('--maintenance <duration>', 'make the change a maintenance window on its service for this long from its start, e.g. 2h')
  .action(async (opts: { server?: string; service: string; summary: string; kind: string; version?: string; author?: string; link?: string[]; label?: Record<string, string>; startedAt?: string; finishedAt?: string; maintenance?: string }) => {
    const server = opts.server ?? process.env.SIGHTLINE_URL;
    if (!server) fail('give --server <url> (or set SIGHTLINE_URL)', 2);
    // Only from the environment: a token on the command line would show in `ps` and shell history.
    const token = process.env.SIGHTLINE_TOKEN;
    if (!token) fail('set SIGHTLINE_TOKEN to a token with the write scope', 2);
    let url: URL;
    try {
      url = new URL('/api/v1/changes', server);
    } catch {
      fail(`--server: not a URL: ${server}`, 2);
    }
    if (!/^https?:$/.test(url.protocol)) fail(`--server: not an http(s) URL: ${server}`, 2);
    const startedAt = opts.startedAt ?? new Date().toISOString();
    let finishedAt = opts.finishedAt;
    if (opts.maintenance !== undefined) {
      const ms = parseDuration(opts.maintenance);
      if (!ms) fail(`--maintenance: not a duration: ${opts.maintenance} (e.g. 2h, 30m)`, 2);
      if (finishedAt !== undefined) fail('give either --finished-at or --maintenance, not both', 2);
      finishedAt = new Date(Date.parse(startedAt) + ms).toISOString();
    }
    const body = {
      service: opts.service,
      summary: opts.summary,
      kind: opts.kind,
      startedAt,
      ...(finishedAt !== undefined ? { finishedAt } : {}),
      ...(opts.version !== undefined ? { version: opts.version } : {}),
      ...(opts.author !== undefined ? { author: opts.author } : {}),
      ...(opts.link ? { links: opts.link } : {}),
      ...(opts.label ? { labels: opts.label } : {}),
      ...(opts.maintenance !== undefined ? { maintenance: true } : {}),
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': `sightline-cli/${packageVersion()}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      fail(`cannot reach the server at ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let answer: { id?: number; error?: { message?: string }; maintenance?: { silences: string[]; endsAt: string } } = {};
    try {
      answer = JSON.parse(text);
    } catch {
      // Not Sightline's JSON (a proxy's page): its status says enough.
    }
    if (!response.ok) fail(`the server refused the change (${response.status}): ${answer.error?.message ?? text.slice(0, 300)}`);
    process.stdout.write(`${answer.id}\n`);
    if (answer.maintenance) process.stderr.write(`maintenance window on ${opts.service} until ${answer.maintenance.endsAt} (${answer.maintenance.silences.length} silences)\n`);
  });

configuredCommand(program, 'backup')
  .description('online backup of the SQLite database into a new file (the server may keep running); for PostgreSQL use pg_dump')
  .requiredOption('-o, --out <file>', 'where to write the backup (must not exist)')
  .action(async (opts: { out: string }, command: Command) => {
    const config = configFrom(command);
    const { existsSync } = await import('node:fs');
    if (existsSync(opts.out)) fail(`${opts.out} already exists; choose a new file`);
    await withDatabase(config, async (handle) => {
      if (!handle.backup) fail('the database is PostgreSQL: back it up with pg_dump (see the README)');
      let last = -1;
      const { pages } = await handle.backup(opts.out, (done, total) => {
        const pct = total ? Math.floor((done / total) * 100) : 100;
        if (pct >= last + 10) {
          last = pct;
          process.stderr.write(`backup: ${pct}% (${done}/${total} pages)\n`);
        }
      });
      if (last < 100) process.stderr.write(`backup: 100% (${pages}/${pages} pages)\n`);
      process.stdout.write(`backed up ${handle.location} to ${opts.out} (${pages} pages)\n`);
    });
  });

registerReplayCommand(program, { configFrom, withDatabase, holdServerLock })
  .option('-c, --config <file>', 'the live server\'s YAML configuration file (env: SIGHTLINE_CONFIG)')
  .option('--data-dir <dir>', DATA_DIR_HELP);

const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
  return n;
};

configuredCommand(program, 'demo', '-d, --data-dir <dir>')
  .description('load a realistic demo scenario (a small shop: services, agents, weeks of alerts, SLA, capacity) into a fresh database')
  .option('--days <n>', 'days of history, ending now', positiveInt('--days', 90), 35)
  .option('--seed <n>', 'scenario seed: the same seed gives the same scenario', positiveInt('--seed', 2 ** 31 - 1), 1)
  .option('--until <time>', 'end the history at this RFC 3339 time (with an offset) instead of now')
  .option('--force', 'replace a database that already holds data (removes the SQLite file; drops the tables of the PostgreSQL schema)')
  .action(async (opts: { dataDir?: string; days: number; seed: number; until?: string; force?: boolean }, command: Command) => {
    const config = configFrom(command);
    const until = opts.until === undefined ? undefined : parseRfc3339(opts.until);
    if (until !== undefined && !until.ok) fail(`--until: ${until.reason}`);
    const end = until?.ok ? until.ms : undefined;
    if (end !== undefined && end > Date.now()) fail('--until: the history cannot end in the future');
    await holdServerLock(config, 'cannot load the demo');
    const { loadDemo } = await import('./demo/load-demo.js');
    const { formatDemoSummary } = await import('./demo/summary.js');
    process.stdout.write(`Loading ${opts.days} days of demo history (seed ${opts.seed}) into ${config.databaseUrl ? 'PostgreSQL' : config.dataDir} …\n`);
    const result = await loadDemo({ config, seed: opts.seed, days: opts.days, end, force: Boolean(opts.force), progress: (line) => process.stdout.write(`${line}\n`) });
    if (!result.ok) fail(result.error.message);
    const start = config.databaseUrl ? 'DATABASE_URL=… npx sightline server' : `npx sightline server --data-dir ${opts.dataDir ?? config.dataDir}`;
    process.stdout.write(formatDemoSummary(result.value, start));
  });

program.parseAsync(process.argv).catch((error: unknown) => fail((error as Error).message));
