/**
 * @module The agent's configuration: one YAML file, `SIGHTLINE_AGENT_*` environment overrides,
 * validated once with zod; every problem is reported, not just the first.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { patternProblem } from './regex.js';

/** node_exporter 1.5.0's defaults (collector/filesystem_linux.go, diskstats_linux.go, netdev). */
export const NODE_EXPORTER_DEFAULTS = {
  mountPointsExclude: '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)',
  fsTypesExclude:
    '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$',
  diskDeviceExclude: '^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$',
  netdevDeviceExclude: '^lo$',
  netclassDeviceExclude: '^$',
} as const;

/** 256 MiB per queue: about four days of OTLP pushes every minute from a 16-CPU host. */
export const DEFAULT_QUEUE_MAX_BYTES = 256 * 1024 * 1024;

/** Network filesystems: a dead server makes statfs hang, so they are skipped unless asked for. */
export const NETWORK_FS_TYPES = '^(nfs|nfs4|cifs|smb3|smbfs|ncpfs|afs|ceph|glusterfs|lustre|gpfs|9p|fuse\\.(sshfs|s3fs|glusterfs|rclone))$';

/** A duration with its unit, or 0: a bare number is an error rather than a guess at seconds. */
const durationMs = z.union([z.string(), z.number()], { error: 'expected a duration with a unit, like "15s", "500ms", "2m"' }).transform((value, ctx) => {
  if (value === 0) return 0;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `${text} has no unit: write e.g. "${text}s" or "${text}m" (units: ms, s, m, h, d)` });
    return z.NEVER;
  }
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration (like "15s", "500ms", "2m"): ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

const regex = z.string().superRefine((value, ctx) => {
  const problem = patternProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `invalid regular expression ${JSON.stringify(value)} (RE2 syntax): ${problem}` });
});

const checkCommon = {
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, _ . : -'),
  interval: durationMs.default(30_000),
  timeout: durationMs.default(5_000),
  service: z.string().optional(),
};

export const HttpCheckConfig = z.strictObject({
  ...checkCommon,
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  /** Accepted status codes; empty means any 2xx. */
  expectStatus: z.array(z.number().int().min(100).max(599)).default([]),
  bodyRegex: regex.optional(),
  insecureSkipVerify: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).default({}),
});
export type HttpCheckConfig = z.infer<typeof HttpCheckConfig>;

export const TcpCheckConfig = z.strictObject({
  ...checkCommon,
  type: z.literal('tcp'),
  /** host:port */
  target: z.string().regex(/^(\[[^\]]+\]|[^:]+):\d{1,5}$/, 'expected host:port'),
});
export type TcpCheckConfig = z.infer<typeof TcpCheckConfig>;

export const ProcessCheckConfig = z
  .strictObject({
    ...checkCommon,
    type: z.literal('process'),
    /** Exact process name as in /proc/<pid>/comm. */
    processName: z.string().optional(),
    /** Regular expression over the full command line (arguments joined by spaces). */
    cmdlineRegex: regex.optional(),
  })
  .refine((c) => c.processName !== undefined || c.cmdlineRegex !== undefined, {
    message: 'a process check needs processName or cmdlineRegex',
  });
export type ProcessCheckConfig = z.infer<typeof ProcessCheckConfig>;

export const CheckConfig = z.discriminatedUnion('type', [HttpCheckConfig, TcpCheckConfig, ProcessCheckConfig]);
export type CheckConfig = z.infer<typeof CheckConfig>;

export const RuleConfig = z.strictObject({
  /** Becomes the alertname label. */
  alert: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'alert names are identifiers'),
  /** A series name from the snapshot: any exported metric or a derived signal (see rules.ts). */
  metric: z.string().min(1),
  /** Label equality matchers; a series must carry all of them. */
  match: z.record(z.string(), z.string()).default({}),
  op: z.enum(['>', '>=', '<', '<=', '==', '!=']),
  threshold: z.number(),
  for: durationMs.default(0),
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
  service: z.string().optional(),
  summary: z.string().optional(),
});
export type RuleConfig = z.infer<typeof RuleConfig>;

export const AgentConfig = z.strictObject({
  interval: durationMs.default(15_000),
  /** host:port for GET /metrics; empty string turns the listener off. */
  listen: z.string().regex(/^$|^(\[[^\]]*\]|[^:]*):\d{1,5}$/, 'expected host:port or ""').default('0.0.0.0:9101'),
  /**
   * The host's one name: the `host` label of alerts, heartbeats, OTLP's host.name and
   * sightline_agent_host_info, which the dashboards and the server's forecasts share. Default: the
   * kernel's nodename as <procRoot>/sys/kernel/hostname has it (node_uname_info's nodename).
   */
  hostname: z.string().min(1).optional(),
  /** Default `service` label on alerts from host rules. */
  service: z.string().min(1).default('host'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  procRoot: z.string().default('/proc'),
  sysRoot: z.string().default('/sys'),
  /** Prefix for mount points when statfs-ing them (for an agent in a container with the host's / mounted). */
  rootfs: z.string().default('/'),
  filesystem: z
    .strictObject({
      mountPointsExclude: regex.default(NODE_EXPORTER_DEFAULTS.mountPointsExclude),
      fsTypesExclude: regex.default(NODE_EXPORTER_DEFAULTS.fsTypesExclude),
      networkFsTypes: regex.default(NETWORK_FS_TYPES),
      includeNetwork: z.boolean().default(false),
      timeout: durationMs.default(5_000),
    })
    .prefault({}),
  diskstats: z.strictObject({ deviceExclude: regex.default(NODE_EXPORTER_DEFAULTS.diskDeviceExclude) }).prefault({}),
  netdev: z.strictObject({ deviceExclude: regex.default(NODE_EXPORTER_DEFAULTS.netdevDeviceExclude) }).prefault({}),
  netclass: z.strictObject({ deviceExclude: regex.default(NODE_EXPORTER_DEFAULTS.netclassDeviceExclude) }).prefault({}),
  inventory: z.strictObject({ interval: durationMs.default(3_600_000) }).prefault({}),
  server: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }).optional(),
      token: z.string().optional(),
      heartbeatInterval: durationMs.default(60_000),
      timeout: durationMs.default(10_000),
    })
    .prefault({}),
  queue: z
    .strictObject({
      dir: z.string().optional(),
      /** Bounds on each queue (heartbeats and alerts; OTLP pushes); beyond either the oldest is dropped and counted. */
      maxItems: z.number().int().min(1).default(10_000),
      maxBytes: z.number().int().min(65_536, 'at least 65536 bytes (one OTLP push of a large host)').default(DEFAULT_QUEUE_MAX_BYTES),
      retryMin: durationMs.default(1_000),
      retryMax: durationMs.default(300_000),
    })
    .prefault({}),
  otlp: z
    .strictObject({
      /**
       * Base URL of an OTLP/HTTP receiver (…/v1/metrics is appended unless present). Unset: the
       * Sightline server (`server.url`, with its token) when `toServer` is true, else off.
       */
      endpoint: z.url({ protocol: /^https?$/ }).optional(),
      toServer: z.boolean().default(true),
      interval: durationMs.default(60_000),
      headers: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  checks: z.array(CheckConfig).default([]),
  /** Ship the default rules (filesystem, memory, CPU saturation, failing checks). */
  defaultRules: z.boolean().default(true),
  rules: z.array(RuleConfig).default([]),
});
export type AgentConfig = Readonly<z.infer<typeof AgentConfig>> & { queue: { dir: string }; hostname: string };
export type AgentConfigInput = z.input<typeof AgentConfig>;

/**
 * Where OTLP metrics go: `otlp.endpoint` when set, else the Sightline server (`server.url`, with
 * its token) unless `otlp.toServer` is false; null when OTLP is off.
 */
export function otlpTarget(config: Pick<AgentConfig, 'otlp' | 'server'>): { endpoint: string; toServer: boolean } | null {
  if (config.otlp.endpoint !== undefined) return { endpoint: config.otlp.endpoint, toServer: false };
  if (config.otlp.toServer && config.server.url !== undefined) return { endpoint: config.server.url, toServer: true };
  return null;
}

/** Environment variables that override a file key; strings are coerced where the key needs a number. */
export const AGENT_ENV_VARS: Record<string, string[]> = {
  SIGHTLINE_AGENT_INTERVAL: ['interval'],
  SIGHTLINE_AGENT_LISTEN: ['listen'],
  SIGHTLINE_AGENT_HOSTNAME: ['hostname'],
  SIGHTLINE_AGENT_SERVICE: ['service'],
  SIGHTLINE_AGENT_LOG_LEVEL: ['logLevel'],
  SIGHTLINE_AGENT_SERVER_URL: ['server', 'url'],
  SIGHTLINE_AGENT_SERVER_TOKEN: ['server', 'token'],
  SIGHTLINE_AGENT_QUEUE_DIR: ['queue', 'dir'],
  SIGHTLINE_AGENT_QUEUE_MAX_ITEMS: ['queue', 'maxItems'],
  SIGHTLINE_AGENT_QUEUE_MAX_BYTES: ['queue', 'maxBytes'],
  SIGHTLINE_AGENT_OTLP_ENDPOINT: ['otlp', 'endpoint'],
};

export type LoadResult = { ok: true; config: AgentConfig } | { ok: false; problems: string[] };

function defaultQueueDir(env: Record<string, string | undefined>): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) return '/var/lib/sightline-agent/queue';
  const state = env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'sightline-agent', 'queue');
}

/**
 * The nodename of the kernel whose /proc the agent reads, so that an agent in a container with the
 * host's /proc names the host, as node_uname_info does; Node's view when it cannot be read.
 */
export function kernelNodename(procRoot: string): string {
  try {
    const name = readFileSync(path.join(procRoot, 'sys', 'kernel', 'hostname'), 'utf8').trim();
    if (name) return name;
  } catch {
    // No such file under procRoot: the process's own view below.
  }
  return os.hostname();
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Validates already-parsed input (YAML object) plus environment overrides. */
export function parseAgentConfig(input: unknown, env: Record<string, string | undefined> = {}): LoadResult {
  const problems: string[] = [];
  const raw: Record<string, unknown> =
    input === null || input === undefined ? {} : typeof input === 'object' && !Array.isArray(input) ? structuredClone(input as Record<string, unknown>) : {};
  if (input !== null && input !== undefined && (typeof input !== 'object' || Array.isArray(input))) problems.push('(file): expected a mapping of keys');
  for (const [name, keys] of Object.entries(AGENT_ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, keys, (keys.at(-1) === 'maxItems' || keys.at(-1) === 'maxBytes') && /^\d+$/.test(value) ? Number(value) : value);
  }
  const parsed = AgentConfig.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const config = parsed.data;
  const names = new Set<string>();
  config.checks.forEach((check, i) => {
    if (names.has(check.name)) problems.push(`checks.${i}.name: duplicate check name "${check.name}"`);
    names.add(check.name);
  });
  if (config.server.url !== undefined && config.server.token === undefined) problems.push('server.token: required when server.url is set');
  if (problems.length > 0) return { ok: false, problems };
  const queue = { ...config.queue, dir: config.queue.dir ?? defaultQueueDir(env) };
  return { ok: true, config: deepFreeze({ ...config, queue, hostname: config.hostname ?? kernelNodename(config.procRoot) }) };
}

/** Reads the YAML file (if any), applies the environment, validates. */
export function loadAgentConfig(options: { file?: string | null; env?: Record<string, string | undefined> }): LoadResult {
  const env = options.env ?? {};
  let input: unknown = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      return { ok: false, problems: [`${options.file}: cannot read (${(err as Error).message})`] };
    }
    try {
      input = parseYaml(text) ?? {};
    } catch (err) {
      return { ok: false, problems: [`${options.file}: invalid YAML (${(err as Error).message.split('\n')[0]})`] };
    }
  }
  return parseAgentConfig(input, env);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
