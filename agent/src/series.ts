/**
 * @module Snapshot → metric families with node_exporter's names, types, labels and help texts.
 * /metrics, the rules and the comparison tests all read these; OTLP maps the same snapshot to
 * semantic-convention names separately (otlp.ts).
 */
import type { HostSnapshot } from './snapshot.js';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

class FamilyList {
  readonly families: Family[] = [];
  add(name: string, type: Family['type'], help: string, samples: Sample[]): void {
    this.families.push({ name, help, type, samples });
  }
  one(name: string, type: Family['type'], help: string, value: number | undefined): void {
    if (value !== undefined) this.add(name, type, help, [{ labels: {}, value }]);
  }
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'] as const;

const DISK_FIELDS: [keyof import('./snapshot.js').DiskStats, string, Family['type'], string][] = [
  ['readsCompleted', 'node_disk_reads_completed_total', 'counter', 'The total number of reads completed successfully.'],
  ['readsMerged', 'node_disk_reads_merged_total', 'counter', 'The total number of reads merged.'],
  ['readBytes', 'node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.'],
  ['readTimeSeconds', 'node_disk_read_time_seconds_total', 'counter', 'The total number of seconds spent by all reads.'],
  ['writesCompleted', 'node_disk_writes_completed_total', 'counter', 'The total number of writes completed successfully.'],
  ['writesMerged', 'node_disk_writes_merged_total', 'counter', 'The number of writes merged.'],
  ['writtenBytes', 'node_disk_written_bytes_total', 'counter', 'The total number of bytes written successfully.'],
  ['writeTimeSeconds', 'node_disk_write_time_seconds_total', 'counter', 'This is the total number of seconds spent by all writes.'],
  ['ioNow', 'node_disk_io_now', 'gauge', 'The number of I/Os currently in progress.'],
  ['ioTimeSeconds', 'node_disk_io_time_seconds_total', 'counter', 'Total seconds spent doing I/Os.'],
  ['ioTimeWeightedSeconds', 'node_disk_io_time_weighted_seconds_total', 'counter', 'The weighted # of seconds spent doing I/Os.'],
  ['discardsCompleted', 'node_disk_discards_completed_total', 'counter', 'The total number of discards completed successfully.'],
  ['discardsMerged', 'node_disk_discards_merged_total', 'counter', 'The total number of discards merged.'],
  ['discardedSectors', 'node_disk_discarded_sectors_total', 'counter', 'The total number of sectors discarded successfully.'],
  ['discardTimeSeconds', 'node_disk_discard_time_seconds_total', 'counter', 'This is the total number of seconds spent by all discards.'],
  ['flushRequests', 'node_disk_flush_requests_total', 'counter', 'The total number of flush requests completed successfully'],
  ['flushRequestsTimeSeconds', 'node_disk_flush_requests_time_seconds_total', 'counter', 'This is the total number of seconds spent by all flush requests.'],
];

const FS_FIELDS: [keyof import('./snapshot.js').FilesystemStats, string, string][] = [
  ['sizeBytes', 'node_filesystem_size_bytes', 'Filesystem size in bytes.'],
  ['freeBytes', 'node_filesystem_free_bytes', 'Filesystem free space in bytes.'],
  ['availBytes', 'node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.'],
  ['files', 'node_filesystem_files', 'Filesystem total file nodes.'],
  ['filesFree', 'node_filesystem_files_free', 'Filesystem total free file nodes.'],
  ['readonly', 'node_filesystem_readonly', 'Filesystem read-only status.'],
];

export function nodeFamilies(s: HostSnapshot): Family[] {
  const out = new FamilyList();
  if (s.stat) {
    const st = s.stat;
    out.add(
      'node_cpu_seconds_total',
      'counter',
      'Seconds the CPUs spent in each mode.',
      st.cpus.flatMap((c) => CPU_MODES.map((mode) => ({ labels: { cpu: c.cpu, mode }, value: c[mode] }))),
    );
    out.add(
      'node_cpu_guest_seconds_total',
      'counter',
      'Seconds the CPUs spent in guests (VMs) for each mode.',
      st.cpus.flatMap((c) => [
        { labels: { cpu: c.cpu, mode: 'nice' }, value: c.guestNice },
        { labels: { cpu: c.cpu, mode: 'user' }, value: c.guest },
      ]),
    );
    out.one('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', st.bootTime);
    out.one('node_context_switches_total', 'counter', 'Total number of context switches.', st.contextSwitches);
    out.one('node_forks_total', 'counter', 'Total number of forks.', st.forks);
    out.one('node_intr_total', 'counter', 'Total number of interrupts serviced.', st.interrupts);
    out.one('node_procs_running', 'gauge', 'Number of processes in runnable state.', st.procsRunning);
    out.one('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', st.procsBlocked);
  }
  if (s.load) {
    out.one('node_load1', 'gauge', '1m load average.', s.load.load1);
    out.one('node_load5', 'gauge', '5m load average.', s.load.load5);
    out.one('node_load15', 'gauge', '15m load average.', s.load.load15);
  }
  for (const field of s.meminfo ?? []) {
    const name = `node_memory_${field.name}${field.bytes ? '_bytes' : ''}`;
    out.one(name, 'gauge', `Memory information field ${field.name}${field.bytes ? '_bytes' : ''}.`, field.value);
  }
  if (s.filesystems) {
    const fss = s.filesystems;
    const labels = (f: (typeof fss)[number]) => ({ device: f.device, fstype: f.fstype, mountpoint: f.mountpoint });
    out.add(
      'node_filesystem_device_error',
      'gauge',
      'Whether an error occurred while getting statistics for the given device.',
      fss.map((f) => ({ labels: labels(f), value: f.deviceError })),
    );
    // Like node_exporter, a failed statfs yields only device_error.
    const ok = fss.filter((f) => f.deviceError === 0);
    for (const [key, name, help] of FS_FIELDS) out.add(name, 'gauge', help, ok.map((f) => ({ labels: labels(f), value: f[key] as number })));
  }
  if (s.disks) {
    for (const [key, name, type, help] of DISK_FIELDS) {
      const samples = s.disks.filter((d) => d[key] !== undefined).map((d) => ({ labels: { device: d.device }, value: d[key] as number }));
      if (samples.length > 0) out.add(name, type, help, samples);
    }
  }
  if (s.netdev && s.netdev.length > 0) {
    const first = s.netdev[0] as (typeof s.netdev)[number];
    for (const dir of ['receive', 'transmit'] as const) {
      for (const field of Object.keys(first[dir])) {
        out.add(
          `node_network_${dir}_${field}_total`,
          'counter',
          `Network device statistic ${dir}_${field}.`,
          (s.netdev ?? []).map((d) => ({ labels: { device: d.device }, value: d[dir][field] ?? 0 })),
        );
      }
    }
  }
  if (s.netclass) {
    const nc = s.netclass;
    out.add(
      'node_network_info',
      'gauge',
      'Non-numeric data from /sys/class/net/<iface>, value is always 1.',
      nc.map((n) => ({
        labels: {
          address: n.address ?? '',
          broadcast: n.broadcast ?? '',
          device: n.device,
          duplex: n.duplex ?? '',
          ifalias: n.ifalias ?? '',
          operstate: n.operstate ?? '',
        },
        value: 1,
      })),
    );
    const prop = (name: string, pick: (n: (typeof nc)[number]) => number | undefined) => {
      const samples = nc.flatMap((n) => {
        const v = pick(n);
        return v === undefined || Number.isNaN(v) ? [] : [{ labels: { device: n.device }, value: v }];
      });
      out.add(`node_network_${name}`, 'gauge', `Network device property: ${name}`, samples);
    };
    prop('up', (n) => (n.operstate === undefined ? undefined : n.operstate === 'up' ? 1 : 0));
    prop('carrier', (n) => n.carrier);
    prop('mtu_bytes', (n) => n.mtu);
    // Mbit/s → bytes/s; node_exporter 1.5 keeps the kernel's -1 ("unknown") as -125000.
    prop('speed_bytes', (n) => (n.speedMbps === undefined ? undefined : (n.speedMbps * 1000 * 1000) / 8));
  }
  if (s.pressure) {
    const p = s.pressure;
    out.one('node_pressure_cpu_waiting_seconds_total', 'counter', 'Total time in seconds that processes have waited for CPU time', p.cpuWaiting);
    out.one('node_pressure_io_waiting_seconds_total', 'counter', 'Total time in seconds that processes have waited due to IO congestion', p.ioWaiting);
    out.one('node_pressure_io_stalled_seconds_total', 'counter', 'Total time in seconds no process could make progress due to IO congestion', p.ioStalled);
    out.one('node_pressure_memory_waiting_seconds_total', 'counter', 'Total time in seconds that processes have waited for memory', p.memoryWaiting);
    out.one('node_pressure_memory_stalled_seconds_total', 'counter', 'Total time in seconds no process could make progress due to memory congestion', p.memoryStalled);
  }
  if (s.uname) {
    out.add('node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', [{ labels: { ...s.uname }, value: 1 }]);
  }
  out.one('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', s.takenAtMs / 1000);
  return out.families;
}
