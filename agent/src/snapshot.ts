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
  major: string;
  minor: string;
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

/**
 * /proc/net/dev counters by node_exporter's field names (bytes, packets, errs, drop, …), plus
 * receive nohandler from /sys/class/net/<iface>/statistics where the kernel has it (node_exporter
 * reads it over netlink).
 */
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
  /** The other numeric attributes, by node_exporter's property name (flags and dev_id parsed from hex). */
  properties: Partial<Record<NetClassProperty, number>>;
}

/** node_exporter's node_network_<property> gauges and counters beyond up, carrier, mtu and speed. */
export type NetClassProperty =
  | 'address_assign_type'
  | 'carrier_changes_total'
  | 'carrier_up_changes_total'
  | 'carrier_down_changes_total'
  | 'device_id'
  | 'dormant'
  | 'flags'
  | 'iface_id'
  | 'iface_link'
  | 'iface_link_mode'
  | 'name_assign_type'
  | 'net_dev_group'
  | 'transmit_queue_length'
  | 'protocol_type';

/** udev's view of a block device (/run/udev/data/b<major>:<minor>); empty strings when udev has none. */
export interface DiskInfo {
  device: string;
  major: string;
  minor: string;
  path: string;
  wwn: string;
  model: string;
  serial: string;
  revision: string;
  /** ID_FS_* and DM_* properties, when udev has them. */
  filesystem?: { type: string; usage: string; uuid: string; version: string };
  deviceMapper?: { name: string; uuid: string; vgName: string; lvName: string; lvLayer: string };
}

/** /proc/net/stat/nf_conntrack summed over CPUs, plus the table's size and limit. */
export interface Conntrack {
  entries: number;
  entriesLimit: number;
  /** found, invalid, ignore, insert, insert_failed, drop, early_drop, search_restart (when the kernel has the stat file). */
  stat?: Record<string, number>;
}

/** One line of /proc/net/softnet_stat (one per CPU). */
export interface Softnet {
  cpu: string;
  processed: number;
  dropped: number;
  timesSqueezed: number;
}

/** The network stack's counters and gauges from /proc/net. */
export interface NetStack {
  /** netstat, snmp and snmp6 counters as "<Protocol>_<Name>", already filtered to node_exporter's default set. */
  netstat?: Record<string, number>;
  /** sockstat and sockstat6 as "<PROTO>_<field>", plus "sockets_used"; mem_bytes computed from pages. */
  sockstat?: Record<string, number>;
  softnet?: Softnet[];
  /** Sum of queued bytes of all UDP sockets, by IP version; v6 only when /proc/net/udp6 exists. */
  udpQueues?: { ip: 'v4' | 'v6'; queue: 'rx' | 'tx'; value: number }[];
  /** ARP entries by device. */
  arp?: Record<string, number>;
  conntrack?: Conntrack;
}

/** Kernel and OS facts that node_exporter's vmstat, filefd, entropy, time, os and selinux collectors export. */
export interface SystemFacts {
  /** /proc/vmstat fields matching node_exporter's default (oom_kill, pgpg*, pswp*, pg*fault). */
  vmstat?: Record<string, number>;
  filefd?: { allocated: number; maximum: number };
  entropy?: { availableBits: number; poolSizeBits: number };
  clocksources?: { device: string; available: string[]; current: string }[];
  timeZone?: { name: string; offsetSeconds: number };
  /** os-release fields by their lower-case key (id, name, version_id, …). */
  osRelease?: Record<string, string>;
  selinux?: { enabled: boolean; configMode?: number; currentMode?: number };
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
  diskInfo?: DiskInfo[];
  netStack?: NetStack;
  system?: SystemFacts;
  pressure?: Pressure;
  uname?: Uname;
  /** Collector name → seconds it took in this cycle. */
  durations: Record<string, number>;
  /** Collectors that failed in this cycle. */
  failed: string[];
}
