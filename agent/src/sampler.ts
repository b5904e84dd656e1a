/**
 * @module The sampler: one cycle reads /proc, /sys and statfs into a HostSnapshot. No child
 * processes. Each collector is timed and isolated: a failing one is counted and its section left
 * out of this snapshot, the others carry on.
 */
import type { Clock } from './clock.js';
import path from 'node:path';
import { collectDiskInfo, collectDiskstats } from './collectors/diskstats.js';
import { createFilesystemCollector, type Statfs } from './collectors/filesystem.js';
import { collectPressure, collectUname } from './collectors/kernel.js';
import { collectLoad, collectMeminfo } from './collectors/memory.js';
import { collectNetStack } from './collectors/netstack.js';
import { collectNetClass, collectNetDev } from './collectors/network.js';
import { collectStat } from './collectors/stat.js';
import { createSystemCollector, pageSize } from './collectors/system.js';
import { compilePattern } from './regex.js';
import type { HostSnapshot } from './snapshot.js';

export interface SamplerOptions {
  procRoot: string;
  sysRoot: string;
  rootfs: string;
  filesystem: {
    mountPointsExclude: string;
    fsTypesExclude: string;
    networkFsTypes: string;
    includeNetwork: boolean;
    timeoutMs: number;
  };
  diskDeviceExclude: string;
  netdevDeviceExclude: string;
  netclassDeviceExclude: string;
  clock: Clock;
  statfs?: Statfs;
  /** udev's database, for node_disk_info (default: <rootfs>/run/udev/data). */
  udevDataDir?: string;
}

export const COLLECTOR_NAMES = ['stat', 'loadavg', 'meminfo', 'filesystem', 'diskstats', 'disk_info', 'netdev', 'netclass', 'netstack', 'system', 'pressure', 'uname'] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

export interface Sampler {
  sample(): Promise<HostSnapshot>;
  /** Cumulative failures per collector since start. */
  errorCounts(): Record<CollectorName, number>;
  stuckMounts(): string[];
}

export function createSampler(options: SamplerOptions): Sampler {
  const fs = createFilesystemCollector({
    procRoot: options.procRoot,
    rootfs: options.rootfs,
    mountPointsExclude: compilePattern(options.filesystem.mountPointsExclude),
    fsTypesExclude: compilePattern(options.filesystem.fsTypesExclude),
    networkFsTypes: compilePattern(options.filesystem.networkFsTypes),
    includeNetwork: options.filesystem.includeNetwork,
    timeoutMs: options.filesystem.timeoutMs,
    ...(options.statfs ? { statfs: options.statfs } : {}),
  });
  const diskExclude = compilePattern(options.diskDeviceExclude);
  const netdevExclude = compilePattern(options.netdevDeviceExclude);
  const netclassExclude = compilePattern(options.netclassDeviceExclude);
  const errors = Object.fromEntries(COLLECTOR_NAMES.map((n) => [n, 0])) as Record<CollectorName, number>;
  const { procRoot, sysRoot, clock } = options;
  const system = createSystemCollector({ procRoot, sysRoot, rootfs: options.rootfs });
  const udevDataDir = options.udevDataDir ?? path.join(options.rootfs, 'run', 'udev', 'data');
  const pageBytes = pageSize(procRoot);

  return {
    errorCounts: () => ({ ...errors }),
    stuckMounts: () => fs.stuck(),
    async sample() {
      const snapshot: HostSnapshot = { takenAtMs: clock.now(), durations: {}, failed: [] };
      const run = async <T>(name: CollectorName, fn: () => Promise<T>, store: (value: T) => void) => {
        const started = clock.monotonic();
        try {
          store(await fn());
        } catch {
          errors[name] += 1;
          snapshot.failed.push(name);
        } finally {
          snapshot.durations[name] = (clock.monotonic() - started) / 1000;
        }
      };
      await Promise.all([
        run('stat', () => collectStat(procRoot), (v) => (snapshot.stat = v)),
        run('loadavg', () => collectLoad(procRoot), (v) => (snapshot.load = v)),
        run('meminfo', () => collectMeminfo(procRoot), (v) => (snapshot.meminfo = v)),
        run('filesystem', () => fs.collect(), (v) => (snapshot.filesystems = v)),
        run('diskstats', () => collectDiskstats(procRoot, diskExclude), (v) => (snapshot.disks = v)),
        run('netdev', () => collectNetDev(procRoot, sysRoot, netdevExclude), (v) => (snapshot.netdev = v)),
        run('netclass', () => collectNetClass(sysRoot, netclassExclude), (v) => (snapshot.netclass = v)),
        run('netstack', () => collectNetStack(procRoot, pageBytes), (v) => (snapshot.netStack = v)),
        run('system', () => system.collect(), (v) => (snapshot.system = v)),
        run('pressure', () => collectPressure(procRoot), (v) => {
          if (v !== undefined) snapshot.pressure = v;
        }),
        run('uname', () => collectUname(procRoot), (v) => (snapshot.uname = v)),
      ]);
      const disks = snapshot.disks;
      if (disks) await run('disk_info', async () => collectDiskInfo(disks, udevDataDir), (v) => (snapshot.diskInfo = v));
      snapshot.failed.sort();
      return snapshot;
    },
  };
}
