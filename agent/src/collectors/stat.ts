/** @module /proc/stat: CPU seconds by mode, boot time, context switches, forks, interrupts, procs running/blocked. */
import type { CpuTimes, KernelStat } from '../snapshot.js';
import { readText } from './read.js';

/** USER_HZ is 100 on every Linux architecture we run on (node_exporter assumes the same). */
const USER_HZ = 100;

export function parseStat(text: string): KernelStat {
  const out: KernelStat = { cpus: [], bootTime: 0, contextSwitches: 0, forks: 0, interrupts: 0, procsRunning: 0, procsBlocked: 0 };
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (key === undefined || key === '') continue;
    const num = (i: number) => Number(parts[i] ?? 0);
    if (/^cpu\d+$/.test(key)) {
      const t = (i: number) => num(i) / USER_HZ;
      const cpu: CpuTimes = {
        cpu: key.slice(3),
        user: t(1),
        nice: t(2),
        system: t(3),
        idle: t(4),
        iowait: t(5),
        irq: t(6),
        softirq: t(7),
        steal: t(8),
        guest: t(9),
        guestNice: t(10),
      };
      out.cpus.push(cpu);
    } else if (key === 'btime') out.bootTime = num(1);
    else if (key === 'ctxt') out.contextSwitches = num(1);
    else if (key === 'processes') out.forks = num(1);
    else if (key === 'intr') out.interrupts = num(1);
    else if (key === 'procs_running') out.procsRunning = num(1);
    else if (key === 'procs_blocked') out.procsBlocked = num(1);
  }
  return out;
}

export async function collectStat(procRoot: string): Promise<KernelStat> {
  return parseStat(await readText(procRoot, 'stat'));
}
