/**
 * Real processes for end-to-end tests and benchmarks: the built Sightline server,
 * Alertmanager 0.25 and Prometheus 2.42 (Debian packages), each on a free loopback port
 * with generated configuration in its own temp directory.
 *
 * Every child and temp directory is tracked: call `stopAllProcesses()` in `afterAll`
 * (it runs even when a test failed), and an exit hook SIGKILLs whatever is left if the
 * test process dies first. No vitest imports here: the benchmark uses this file too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SIGHTLINE_CLI = path.join(ROOT, 'dist', 'server', 'src', 'cli.js');

/** The admin token every server started here accepts (SIGHTLINE_ADMIN_TOKEN). */
export const ADMIN_TOKEN = 'sl_e2e-admin-0123456789abcdef';

/** Output kept per process: the tail is what explains a failure. */
const OUTPUT_LIMIT = 256 * 1024;

const live = new Set<ManagedProcess>();
const tempDirs = new Set<string>();

process.once('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private status: ExitStatus | null = null;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > OUTPUT_LIMIT * 2) this.out = this.out.slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        live.delete(this);
        resolve(this.status);
      });
      // A failed spawn emits 'error' and maybe no 'exit'.
      child.once('error', (error) => {
        keep(Buffer.from(`\n[spawn error] ${error.message}\n`));
        this.status ??= { code: -1, signal: null };
        live.delete(this);
        resolve(this.status);
      });
    });
  }

  get running(): boolean {
    return this.status === null;
  }

  /** stdout and stderr interleaved (the last ~256 KiB). */
  output(): string {
    return this.out.length > OUTPUT_LIMIT ? this.out.slice(-OUTPUT_LIMIT) : this.out;
  }

  /** Sends `signal`, waits for the exit, and escalates to SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitStatus> {
    if (!this.running) return this.status as ExitStatus;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, escalate]);
    clearTimeout(timer);
    return this.exited;
  }

  /** `kill -9`: no chance to flush or shut down cleanly. */
  kill(): Promise<ExitStatus> {
    return this.stop('SIGKILL');
  }
}

/** Stops every process started here (SIGTERM, then SIGKILL) and deletes the temp dirs. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop('SIGTERM', 5_000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A temp directory deleted by `stopAllProcesses()`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `sightline-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Polls `check` until it returns something other than null/undefined/false. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== null && value !== undefined && value !== false) return value;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const extra = options.describe ? `\n${options.describe()}` : '';
      const cause = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Finds an executable on PATH, or fails naming the Debian package that provides it. */
export function requireBinary(names: string[], debianPackage: string): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin']);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new Error(
    `${names.join(' / ')} not found on PATH: install the Debian package \`${debianPackage}\` (apt-get install ${debianPackage}; .ci/run installs it in CI)`,
  );
}

function spawnManaged(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): ManagedProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new ManagedProcess(name, child);
}

/** Waits until `url` answers 200; fails early, with the process output, if it exits. */
async function waitReady(proc: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${proc.name} exited before it was ready:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await proc.kill();
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms:\n${proc.output()}`);
}

/**
 * Starts a process on a free port. Another process may grab the port between choosing
 * and binding it; an early exit then gets one more try on a new port.
 */
async function startOnFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      lastError = error;
      if (!/exited before it was ready/.test((error as Error).message)) throw error;
      if (!/address already in use|EADDRINUSE/i.test((error as Error).message)) throw error;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------
// Sightline

export interface SightlineOptions {
  /** Reuse a data directory (e.g. to restart after a crash); a fresh temp dir by default. */
  dataDir?: string;
  /** Extra SIGHTLINE_* settings, e.g. { SIGHTLINE_RESOLVE_HOLD_DOWN: '2s' }. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  /** Extra options of `sightline server`, e.g. ['--skip-integrity-check']. */
  args?: string[];
  readyTimeoutMs?: number;
}

export interface SightlineProcess {
  url: string;
  port: number;
  dataDir: string;
  /** The SQLite file. */
  databaseFile: string;
  token: string;
  proc: ManagedProcess;
  /** GET with the admin token; throws unless 200. */
  getJson<T = any>(pathAndQuery: string): Promise<T>;
  /** POST JSON with the admin token; returns the response (body not consumed). */
  postJson(pathAndQuery: string, body: unknown): Promise<Response>;
  stop(): Promise<ExitStatus>;
  kill(): Promise<ExitStatus>;
}

export async function startSightline(options: SightlineOptions = {}): Promise<SightlineProcess> {
  if (!existsSync(SIGHTLINE_CLI)) throw new Error(`${SIGHTLINE_CLI} is missing: run \`npm run build\` first (npm test does)`);
  const dataDir = options.dataDir ?? makeTempDir('data');
  return startOnFreePort(async (port) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      SIGHTLINE_HOST: '127.0.0.1',
      SIGHTLINE_PORT: String(port),
      SIGHTLINE_DATA_DIR: dataDir,
      SIGHTLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SIGHTLINE_LOG_LEVEL: 'info',
      ...options.env,
    };
    const proc = spawnManaged(`sightline :${port}`, process.execPath, [...(options.nodeArgs ?? []), SIGHTLINE_CLI, 'server', ...(options.args ?? [])], env, dataDir);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/readyz`, options.readyTimeoutMs ?? 30_000);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    return {
      url,
      port,
      dataDir,
      databaseFile: path.join(dataDir, 'sightline.db'),
      token: ADMIN_TOKEN,
      proc,
      async getJson(p) {
        const res = await fetch(`${url}${p}`, { headers, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${text.slice(0, 500)}`);
        return JSON.parse(text);
      },
      postJson(p, body) {
        return fetch(`${url}${p}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      },
      stop: () => proc.stop('SIGTERM'),
      kill: () => proc.kill(),
    };
  });
}

// ---------------------------------------------------------------------------------------
// Alertmanager

export interface AlertmanagerProcess {
  url: string;
  port: number;
  dir: string;
  proc: ManagedProcess;
  /** POST /api/v2/alerts (what Prometheus does); throws unless 200. */
  postAlerts(alerts: unknown[]): Promise<void>;
  stop(): Promise<ExitStatus>;
}

/** Starts Alertmanager with `config` (an object written as YAML), clustering off. */
export async function startAlertmanager(config: Record<string, unknown>, options: { logLevel?: string } = {}): Promise<AlertmanagerProcess> {
  const binary = requireBinary(['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');
  const dir = makeTempDir('alertmanager');
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(config));
  return startOnFreePort(async (port) => {
    const args = [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty disables clustering: no gossip port, and no wait for peers before notifying.
      '--cluster.listen-address=',
      `--log.level=${options.logLevel ?? 'info'}`,
    ];
    const proc = spawnManaged(`alertmanager :${port}`, binary, args, { PATH: process.env.PATH, HOME: process.env.HOME }, dir);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/-/ready`, 30_000);
    return {
      url,
      port,
      dir,
      proc,
      async postAlerts(alerts) {
        const res = await fetch(`${url}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alerts),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`Alertmanager POST /api/v2/alerts: ${res.status} ${text.slice(0, 500)}`);
      },
      stop: () => proc.stop('SIGTERM'),
    };
  });
}

// ---------------------------------------------------------------------------------------
// Prometheus

export interface PrometheusRule {
  name: string;
  query: string;
  state: string;
  alerts?: { labels: Record<string, string>; state: string }[];
}

export interface PrometheusProcess {
  url: string;
  port: number;
  dir: string;
  proc: ManagedProcess;
  /** Rewrites a rule file (an object written as YAML) in the directory the config points at. */
  writeRuleFile(name: string, content: Record<string, unknown>): void;
  /** SIGHUP: Prometheus re-reads its configuration and rule files. */
  reload(): void;
  /** Alerting and recording rules as GET /api/v1/rules reports them. */
  rules(): Promise<PrometheusRule[]>;
  stop(): Promise<ExitStatus>;
}

/**
 * Starts Prometheus. `config` is built once the directory exists, so it can name rule
 * files in it (`rule_files: [path.join(dir, 'rules.yml')]`); `rules` are written first.
 */
export async function startPrometheus(
  build: (dir: string) => Record<string, unknown>,
  rules: Record<string, Record<string, unknown>> = {},
  options: { extraArgs?: string[] } = {},
): Promise<PrometheusProcess> {
  const binary = requireBinary(['prometheus'], 'prometheus');
  const dir = makeTempDir('prometheus');
  const writeRuleFile = (name: string, content: Record<string, unknown>) => writeFileSync(path.join(dir, name), stringify(content));
  for (const [name, content] of Object.entries(rules)) writeRuleFile(name, content);
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(build(dir)));
  return startOnFreePort(async (port) => {
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.extraArgs ?? []),
    ];
    const proc = spawnManaged(`prometheus :${port}`, binary, args, { PATH: process.env.PATH, HOME: process.env.HOME }, dir);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/-/ready`, 30_000);
    return {
      url,
      port,
      dir,
      proc,
      writeRuleFile,
      reload() {
        proc.child.kill('SIGHUP');
      },
      async rules() {
        const res = await fetch(`${url}/api/v1/rules`, { signal: AbortSignal.timeout(5_000) });
        const body = (await res.json()) as { data: { groups: { rules: PrometheusRule[] }[] } };
        return body.data.groups.flatMap((g) => g.rules);
      },
      stop: () => proc.stop('SIGTERM'),
    };
  });
}
