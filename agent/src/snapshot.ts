/**
 * @module The snapshot: plain data from one sampler cycle. Every output (/metrics, OTLP, rules,
 * heartbeats) reads the latest snapshot; none of them touches /proc itself.
 */

/** Seconds per mode for one CPU, from /proc/stat (USER_HZ ticks / 100). */
export interface CpuTimes {
  cpu: string;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

export interface KernelStat {
  cpus: CpuTimes[];
  bootTime: number;
  contextSwitches: number;
  forks: number;
  interrupts: number;
  procsRunning: number;
  procsBlocked: number;
}

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
}

/** One /proc/meminfo line: node_exporter names it `node_memory_<name>` with `_bytes` when it had a kB unit. */
export interface MeminfoField {
  name: string;
  value: number;
  bytes: boolean;
}

export interface FilesystemStats {
  device: string;
  fstype: string;
  mountpoint: string;
  sizeBytes: number;
  freeBytes: number;
  availBytes: number;
  files: number;
  filesFree: number;
  readonly: 0 | 1;
  deviceError: 0 | 1;
}

/** /proc/diskstats, in node_exporter's units (bytes, seconds). Discard/flush fields only when the kernel has them. */
export interface DiskStats {
  device: string;
  readsCompleted: number;
  readsMerged: number;
  readBytes: number;
  readTimeSeconds: number;
  writesCompleted: number;
  writesMerged: number;
  writtenBytes: number;
  writeTimeSeconds: number;
  ioNow: number;
  ioTimeSeconds: number;
  ioTimeWeightedSeconds: number;
  discardsCompleted?: number;
  discardsMerged?: number;
  discardedSectors?: number;
  discardTimeSeconds?: number;
  flushRequests?: number;
  flushRequestsTimeSeconds?: number;
}

/** /proc/net/dev counters by node_exporter's field names (bytes, packets, errs, drop, …). */
export interface NetDevStats {
  device: string;
  receive: Record<string, number>;
  transmit: Record<string, number>;
}

/** /sys/class/net/<iface>: only the fields the kernel let us read. */
export interface NetClassInfo {
  device: string;
  operstate?: string;
  address?: string;
  broadcast?: string;
  duplex?: string;
  ifalias?: string;
  mtu?: number;
  /** Mbit/s as the kernel reports it (-1 when unknown). */
  speedMbps?: number;
  carrier?: number;
}

/** Pressure stall information totals, in seconds; absent when the kernel has no PSI. */
export interface Pressure {
  cpuWaiting?: number;
  ioWaiting?: number;
  ioStalled?: number;
  memoryWaiting?: number;
  memoryStalled?: number;
}

export interface Uname {
  sysname: string;
  release: string;
  version: string;
  machine: string;
  nodename: string;
  domainname: string;
}

export interface HostSnapshot {
  /** Epoch ms when the cycle started. */
  takenAtMs: number;
  stat?: KernelStat;
  load?: LoadAverage;
  meminfo?: MeminfoField[];
  filesystems?: FilesystemStats[];
  disks?: DiskStats[];
  netdev?: NetDevStats[];
  netclass?: NetClassInfo[];
  pressure?: Pressure;
  uname?: Uname;
  /** Collector name → seconds it took in this cycle. */
  durations: Record<string, number>;
  /** Collectors that failed in this cycle. */
  failed: string[];
}
