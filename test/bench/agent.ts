/**
 * Agent cost on this machine. Counts child processes (every spawn path in node:child_process is
 * wrapped before the agent and systeminformation load), CPU time and RSS over N sampler cycles,
 * each with a /metrics scrape and rule evaluation. cpu_ratio is CPU seconds per cycle divided by
 * the default 15 s interval: the share of one core the agent uses at its default cadence.
 *
 * Run: node --import tsx test/bench/agent.ts [cycles]
 */
import cp from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let spawns = 0;
const proto = cp.ChildProcess.prototype as unknown as { spawn: (...a: unknown[]) => unknown };
const originalSpawn = proto.spawn;
proto.spawn = function (this: unknown, ...args: unknown[]) {
  spawns += 1;
  return originalSpawn.apply(this, args);
};
const mutable = cp as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
  const original = mutable[name] as (...a: unknown[]) => unknown;
  mutable[name] = (...args: unknown[]) => {
    spawns += 1;
    return original(...args);
  };
}

const { createAgent } = await import('../../agent/src/agent.js');
const { parseAgentConfig } = await import('../../agent/src/config.js');

const cycles = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-bench-'));
const loaded = parseAgentConfig({
  listen: '127.0.0.1:0',
  interval: '1h',
  logLevel: 'silent',
  queue: { dir },
  checks: [
    { name: 'node', type: 'process', cmdlineRegex: 'node', interval: '1h' },
    { name: 'self-tcp', type: 'tcp', target: '127.0.0.1:1', interval: '1h', timeout: '1s' },
  ],
});
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const agent = createAgent(loaded.config);
await agent.start();
// Let start-up work (inventory through systeminformation, first checks) finish before measuring.
await new Promise((r) => setTimeout(r, 3000));
const startupSpawns = spawns;
const url = agent.metricsUrl() as string;

const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const spawns0 = spawns;
let bytes = 0;
for (let i = 0; i < cycles; i++) {
  await agent.tick();
  bytes += (await (await fetch(url)).text()).length;
  await new Promise((r) => setTimeout(r, 20));
}
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - wall0) / 1000;
const cpuPerCycleS = (cpu.user + cpu.system) / 1e6 / cycles;
const forksPerCycle = (spawns - spawns0) / cycles;
const rssMb = process.memoryUsage().rss / (1 << 20);
await agent.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`cycles=${cycles} wall_s=${wallS.toFixed(2)} startup_spawns=${startupSpawns} metrics_bytes_per_scrape=${Math.round(bytes / cycles)}`);
console.log(`cpu_ms_per_cycle=${(cpuPerCycleS * 1000).toFixed(2)} (sample + rules + one /metrics scrape)`);
console.log(`bench agent: forks_per_cycle=${forksPerCycle} cpu_ratio=${(cpuPerCycleS / 15).toFixed(5)} rss_mb=${Math.round(rssMb)}`);
