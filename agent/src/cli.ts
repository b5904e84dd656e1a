#!/usr/bin/env node
/**
 * @module `sightline agent`: run the host agent, print one collection (--once) or validate the
 * configuration (--check-config). `agentCommand(argv)` takes the arguments after the subcommand
 * and resolves to an exit code; running this file with node does the same for process.argv.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createAgent } from './agent.js';
import { AGENT_ENV_VARS, loadAgentConfig, otlpTarget, type AgentConfig } from './config.js';
import { agentVersion } from './version.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Resolves when the process should stop (SIGINT/SIGTERM by default). */
  untilSignal?: () => Promise<void>;
}

const defaultIo = (): CommandIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
});

/** Resolves on the first SIGINT or SIGTERM; a second one while stopping exits at once. */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      const now = () => process.exit(1);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** OTLP as the agent will run it: the server it pushes to by default, a collector, or off. */
function describeOtlp(config: AgentConfig): string {
  const target = otlpTarget(config);
  if (target === null) return 'off';
  return target.toServer ? `on, to the server (${target.endpoint})` : `on, to ${target.endpoint}`;
}

export async function agentCommand(argv: readonly string[], io: CommandIo = defaultIo()): Promise<number> {
  const program = new Command()
    .name('sightline agent')
    .description('Host agent: node_exporter-compatible metrics, checks, local alert rules, heartbeats, OTLP push.')
    .version(agentVersion())
    .option('-c, --config <file>', 'YAML configuration file (env: SIGHTLINE_AGENT_CONFIG)')
    .option('--once', 'collect once, print the metrics and exit')
    .option('--check-config', 'validate the configuration and exit')
    .addHelpText('after', `\nEnvironment overrides: ${Object.keys(AGENT_ENV_VARS).join(', ')}`)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    program.parse(['node', 'sightline-agent', ...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const opts = program.opts<{ config?: string; once?: boolean; checkConfig?: boolean }>();
  const file = opts.config ?? io.env.SIGHTLINE_AGENT_CONFIG ?? null;
  const loaded = loadAgentConfig({ file, env: io.env });
  if (!loaded.ok) {
    io.stderr(`sightline agent: invalid configuration${file ? ` (${file})` : ''}:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  const config = loaded.config;
  if (opts.checkConfig) {
    io.stdout(`configuration OK: ${config.checks.length} checks, ${config.rules.length} rules${config.defaultRules ? ' plus defaults' : ''}, server ${config.server.url ?? 'off'}, OTLP ${describeOtlp(config)}\n`);
    return 0;
  }
  if (opts.once) {
    const agent = createAgent({ ...config, logLevel: 'silent' });
    io.stdout(await agent.collectOnce());
    return 0;
  }
  const agent = createAgent(config);
  await agent.start();
  await (io.untilSignal ?? waitForSignal)();
  // A last guard on top of stop()'s own bounds: whatever still hangs, the caller exits in time
  // (systemd's TimeoutStopSec, a container runtime's grace period). Queued items are on disk.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS)));
  const outcome = await Promise.race([agent.stop().then(() => 'stopped' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'late') {
    io.stderr(`sightline agent: not stopped within ${STOP_DEADLINE_MS} ms; exiting anyway (queued items stay on disk)\n`);
    return 1;
  }
  return 0;
}

/** SIGTERM to exit: well within the 5 s that orchestrators commonly wait before SIGKILL. */
export const STOP_DEADLINE_MS = 4_000;

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  agentCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`sightline agent: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
