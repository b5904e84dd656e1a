/** @module Pressure stall information (/proc/pressure) and uname fields (/proc/sys/kernel). */
import os from 'node:os';
import type { Pressure, Uname } from '../snapshot.js';
import { readOptional } from './read.js';

/** Microsecond totals of the "some" and "full" lines. */
export function parsePressure(text: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  for (const line of text.split('\n')) {
    const match = /^(some|full)\b.*\btotal=(\d+)/.exec(line.trim());
    if (match) out[match[1] as 'some' | 'full'] = Number(match[2]);
  }
  return out;
}

/** Undefined when the kernel has no PSI (no /proc/pressure, or disabled: reads fail with EOPNOTSUPP). */
export async function collectPressure(procRoot: string): Promise<Pressure | undefined> {
  const [cpu, io, memory] = await Promise.all(['cpu', 'io', 'memory'].map((r) => readOptional(procRoot, 'pressure', r)));
  if (cpu === undefined && io === undefined && memory === undefined) return undefined;
  const seconds = (us: number | undefined) => (us === undefined ? undefined : us / 1e6);
  const out: Pressure = {};
  const set = (key: keyof Pressure, value: number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  // node_exporter 1.5 exports cpu "some" only; io and memory both lines.
  if (cpu !== undefined) set('cpuWaiting', seconds(parsePressure(cpu).some));
  if (io !== undefined) {
    const p = parsePressure(io);
    set('ioWaiting', seconds(p.some));
    set('ioStalled', seconds(p.full));
  }
  if (memory !== undefined) {
    const p = parsePressure(memory);
    set('memoryWaiting', seconds(p.some));
    set('memoryStalled', seconds(p.full));
  }
  return out;
}

/** uname(2) fields as /proc/sys/kernel publishes them; the machine falls back to Node's view when `arch` is missing. */
export async function collectUname(procRoot: string): Promise<Uname> {
  const read = (f: string) => readOptional(procRoot, 'sys', 'kernel', f);
  const [sysname, release, version, nodename, domainname, arch] = await Promise.all(
    ['ostype', 'osrelease', 'version', 'hostname', 'domainname', 'arch'].map(read),
  );
  if (sysname === undefined || release === undefined) throw new Error('no /proc/sys/kernel/ostype or osrelease');
  return {
    sysname,
    release,
    version: version ?? '',
    machine: arch ?? os.machine(),
    nodename: nodename ?? '',
    domainname: domainname ?? '',
  };
}
