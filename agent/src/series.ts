/**
 * @module Snapshot → metric families with node_exporter's names, types, labels and help texts.
 * /metrics, the rules and the comparison tests all read these; OTLP maps the same snapshot to
 * semantic-convention names separately (otlp.ts).
 */
import { osVersionNumber } from './collectors/system.js';
import type { DiskInfo, HostSnapshot, NetClassProperty, NetStack, SystemFacts } from './snapshot.js';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
export interface Family {
  name: string;
  help: string;
  /** node_exporter keeps netstat and vmstat fields untyped: some are counters, some gauges. */
  type: 'gauge' | 'counter' | 'untyped';
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
    const netdev = s.netdev;
    for (const dir of ['receive', 'transmit'] as const) {
      // Every field any device has (nohandler only where sysfs has it), each device where it has it.
      const fields = [...new Set(netdev.flatMap((d) => Object.keys(d[dir])))];
      for (const field of fields) {
        out.add(
          `node_network_${dir}_${field}_total`,
          'counter',
          `Network device statistic ${dir}_${field}.`,
          netdev.flatMap((d) => (d[dir][field] === undefined ? [] : [{ labels: { device: d.device }, value: d[dir][field] as number }])),
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
    const prop = (name: string, pick: (n: (typeof nc)[number]) => number | undefined, help = `Network device property: ${name}`) => {
      const samples = nc.flatMap((n) => {
        const v = pick(n);
        return v === undefined || Number.isNaN(v) ? [] : [{ labels: { device: n.device }, value: v }];
      });
      out.add(`node_network_${name}`, 'gauge', help, samples);
    };
    prop('up', (n) => (n.operstate === undefined ? undefined : n.operstate === 'up' ? 1 : 0), "Value is 1 if operstate is 'up', 0 otherwise.");
    prop('carrier', (n) => n.carrier);
    prop('mtu_bytes', (n) => n.mtu);
    // Mbit/s → bytes/s; node_exporter 1.5 keeps the kernel's -1 ("unknown") as -125000.
    prop('speed_bytes', (n) => (n.speedMbps === undefined ? undefined : (n.speedMbps * 1000 * 1000) / 8));
    for (const property of NETCLASS_PROPERTIES) {
      const samples = nc.flatMap((n) => {
        const v = n.properties[property];
        return v === undefined ? [] : [{ labels: { device: n.device }, value: v }];
      });
      out.add(`node_network_${property}`, property.endsWith('_total') ? 'counter' : 'gauge', `Network device property: ${property}`, samples);
    }
  }
  if (s.diskInfo) diskInfoFamilies(out, s.diskInfo);
  if (s.netStack) netStackFamilies(out, s.netStack);
  if (s.system) systemFamilies(out, s.system);
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

const NETCLASS_PROPERTIES: NetClassProperty[] = [
  'address_assign_type',
  'carrier_changes_total',
  'carrier_up_changes_total',
  'carrier_down_changes_total',
  'device_id',
  'dormant',
  'flags',
  'iface_id',
  'iface_link',
  'iface_link_mode',
  'name_assign_type',
  'net_dev_group',
  'transmit_queue_length',
  'protocol_type',
];

function diskInfoFamilies(out: FamilyList, disks: DiskInfo[]): void {
  out.add(
    'node_disk_info',
    'gauge',
    'Info of /sys/block/<block_device>.',
    disks.map((d) => ({ labels: { device: d.device, major: d.major, minor: d.minor, path: d.path, wwn: d.wwn, model: d.model, serial: d.serial, revision: d.revision }, value: 1 })),
  );
  const fs = disks.flatMap((d) => (d.filesystem ? [{ labels: { device: d.device, ...d.filesystem }, value: 1 }] : []));
  if (fs.length > 0) out.add('node_disk_filesystem_info', 'gauge', 'Info about disk filesystem.', fs);
  const dm = disks.flatMap((d) =>
    d.deviceMapper
      ? [{ labels: { device: d.device, name: d.deviceMapper.name, uuid: d.deviceMapper.uuid, vg_name: d.deviceMapper.vgName, lv_name: d.deviceMapper.lvName, lv_layer: d.deviceMapper.lvLayer }, value: 1 }]
      : [],
  );
  if (dm.length > 0) out.add('node_disk_device_mapper_info', 'gauge', 'Info about disk device mapper.', dm);
}

const CONNTRACK_HELP: Record<string, string> = {
  found: 'Number of searched entries which were successful.',
  invalid: 'Number of packets seen which can not be tracked.',
  ignore: 'Number of packets seen which are already connected to a conntrack entry.',
  insert: 'Number of entries inserted into the list.',
  insert_failed: 'Number of entries for which list insertion was attempted but failed.',
  drop: 'Number of packets dropped due to conntrack failure.',
  early_drop: 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.',
  search_restart: 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.',
};

function netStackFamilies(out: FamilyList, n: NetStack): void {
  for (const [key, value] of Object.entries(n.netstat ?? {})) {
    out.one(`node_netstat_${key}`, 'untyped', `Statistic ${key.replace('_', '')}.`, value);
  }
  for (const [key, value] of Object.entries(n.sockstat ?? {})) {
    if (key === 'sockets_used') out.one('node_sockstat_sockets_used', 'gauge', 'Number of IPv4 sockets in use.', value);
    else {
      const cut = key.indexOf('_');
      out.one(`node_sockstat_${key}`, 'gauge', `Number of ${key.slice(0, cut)} sockets in state ${key.slice(cut + 1)}.`, value);
    }
  }
  if (n.softnet) {
    const sn = n.softnet;
    out.add('node_softnet_processed_total', 'counter', 'Number of processed packets', sn.map((c) => ({ labels: { cpu: c.cpu }, value: c.processed })));
    out.add('node_softnet_dropped_total', 'counter', 'Number of dropped packets', sn.map((c) => ({ labels: { cpu: c.cpu }, value: c.dropped })));
    out.add('node_softnet_times_squeezed_total', 'counter', 'Number of times processing packets ran out of quota', sn.map((c) => ({ labels: { cpu: c.cpu }, value: c.timesSqueezed })));
  }
  if (n.udpQueues) {
    out.add('node_udp_queues', 'gauge', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', n.udpQueues.map((q) => ({ labels: { ip: q.ip, queue: q.queue }, value: q.value })));
  }
  if (n.arp) {
    out.add('node_arp_entries', 'gauge', 'ARP entries by device', Object.entries(n.arp).map(([device, value]) => ({ labels: { device }, value })));
  }
  if (n.conntrack) {
    const c = n.conntrack;
    out.one('node_nf_conntrack_entries', 'gauge', 'Number of currently allocated flow entries for connection tracking.', c.entries);
    out.one('node_nf_conntrack_entries_limit', 'gauge', 'Maximum size of connection tracking table.', c.entriesLimit);
    for (const [name, value] of Object.entries(c.stat ?? {})) out.one(`node_nf_conntrack_stat_${name}`, 'gauge', CONNTRACK_HELP[name] ?? name, value);
  }
}

const OS_INFO_LABELS = ['build_id', 'id', 'id_like', 'image_id', 'image_version', 'name', 'pretty_name', 'variant', 'variant_id', 'version', 'version_codename', 'version_id'];

function systemFamilies(out: FamilyList, f: SystemFacts): void {
  for (const [name, value] of Object.entries(f.vmstat ?? {})) out.one(`node_vmstat_${name}`, 'untyped', `/proc/vmstat information field ${name}.`, value);
  if (f.filefd) {
    out.one('node_filefd_allocated', 'gauge', 'File descriptor statistics: allocated.', f.filefd.allocated);
    out.one('node_filefd_maximum', 'gauge', 'File descriptor statistics: maximum.', f.filefd.maximum);
  }
  if (f.entropy) {
    out.one('node_entropy_available_bits', 'gauge', 'Bits of available entropy.', f.entropy.availableBits);
    out.one('node_entropy_pool_size_bits', 'gauge', 'Bits of entropy pool.', f.entropy.poolSizeBits);
  }
  if (f.clocksources && f.clocksources.length > 0) {
    const cs = f.clocksources;
    out.add(
      'node_time_clocksource_available_info',
      'gauge',
      "Available clocksources read from '/sys/devices/system/clocksource'.",
      cs.flatMap((c) => c.available.map((clocksource) => ({ labels: { clocksource, device: c.device }, value: 1 }))),
    );
    out.add(
      'node_time_clocksource_current_info',
      'gauge',
      "Current clocksource read from '/sys/devices/system/clocksource'.",
      cs.map((c) => ({ labels: { clocksource: c.current, device: c.device }, value: 1 })),
    );
  }
  if (f.timeZone) out.add('node_time_zone_offset_seconds', 'gauge', 'System time zone offset in seconds.', [{ labels: { time_zone: f.timeZone.name }, value: f.timeZone.offsetSeconds }]);
  if (f.osRelease) {
    const r = f.osRelease;
    out.add(
      'node_os_info',
      'gauge',
      "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
      [{ labels: Object.fromEntries(OS_INFO_LABELS.map((k) => [k, r[k] ?? ''])), value: 1 }],
    );
    out.add('node_os_version', 'gauge', 'Metric containing the major.minor part of the OS version.', [
      { labels: { id: r.id ?? '', id_like: r.id_like ?? '', name: r.name ?? '' }, value: osVersionNumber(r.version_id) },
    ]);
  }
  if (f.selinux) {
    out.one('node_selinux_enabled', 'gauge', 'SELinux is enabled, 1 is true, 0 is false', f.selinux.enabled ? 1 : 0);
    out.one('node_selinux_config_mode', 'gauge', 'Configured SELinux enforcement mode', f.selinux.configMode);
    out.one('node_selinux_current_mode', 'gauge', 'Current SELinux enforcement mode', f.selinux.currentMode);
  }
}
