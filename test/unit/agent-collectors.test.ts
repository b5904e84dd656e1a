/** The sampler against a fake /proc and /sys tree: exact values, node_exporter names and labels. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../agent/src/clock.js';
import type { StatfsResult } from '../../agent/src/collectors/filesystem.js';
import { NETWORK_FS_TYPES, NODE_EXPORTER_DEFAULTS } from '../../agent/src/config.js';
import { createSampler } from '../../agent/src/sampler.js';
import { nodeFamilies, type Family } from '../../agent/src/series.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/proc/basic', import.meta.url));

const manualClock = (start = 1_800_000_000_000): Clock => {
  let t = 0;
  return { now: () => start, monotonic: () => (t += 1) };
};

const STATFS: Record<string, StatfsResult> = {
  '/': { bsize: 4096, blocks: 1_000_000, bfree: 400_000, bavail: 350_000, files: 65536, ffree: 60000 },
  '/boot': { bsize: 1024, blocks: 500_000, bfree: 250_000, bavail: 225_000, files: 128, ffree: 100 },
  '/srv/my data': { bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 10, ffree: 9 },
};

function fakeStatfs(calls: string[] = []) {
  return async (p: string): Promise<StatfsResult> => {
    calls.push(p);
    if (p === '/srv/stuck') return new Promise(() => undefined);
    const r = STATFS[p];
    if (!r) throw Object.assign(new Error(`EACCES: ${p}`), { code: 'EACCES' });
    return r;
  };
}

function makeSampler(procRoot = path.join(FIXTURE, 'proc'), calls: string[] = []) {
  return createSampler({
    procRoot,
    sysRoot: path.join(FIXTURE, 'sys'),
    rootfs: '/',
    filesystem: {
      mountPointsExclude: NODE_EXPORTER_DEFAULTS.mountPointsExclude,
      fsTypesExclude: NODE_EXPORTER_DEFAULTS.fsTypesExclude,
      networkFsTypes: NETWORK_FS_TYPES,
      includeNetwork: false,
      timeoutMs: 50,
    },
    diskDeviceExclude: NODE_EXPORTER_DEFAULTS.diskDeviceExclude,
    netdevDeviceExclude: NODE_EXPORTER_DEFAULTS.netdevDeviceExclude,
    netclassDeviceExclude: NODE_EXPORTER_DEFAULTS.netclassDeviceExclude,
    clock: manualClock(),
    statfs: fakeStatfs(calls),
  });
}

function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  return family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('sampler on the fixture tree', () => {
  it('reads CPU seconds per cpu and mode from USER_HZ ticks, and the kernel counters', async () => {
    const f = nodeFamilies(await makeSampler().sample());
    expect(value(f, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' })).toBe(200);
    expect(value(f, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' })).toBe(2400);
    expect(value(f, 'node_cpu_seconds_total', { cpu: '1', mode: 'iowait' })).toBe(5);
    expect(value(f, 'node_cpu_seconds_total', { cpu: '0', mode: 'steal' })).toBe(0.3);
    expect(value(f, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' })).toBe(0.4);
    expect(f.find((x) => x.name === 'node_cpu_seconds_total')?.samples).toHaveLength(16);
    expect(value(f, 'node_boot_time_seconds')).toBe(1_700_000_000);
    expect(value(f, 'node_forks_total')).toBe(424242);
    expect(value(f, 'node_context_switches_total')).toBe(123456789);
    expect(value(f, 'node_intr_total')).toBe(987654);
    expect(value(f, 'node_procs_running')).toBe(3);
    expect(value(f, 'node_procs_blocked')).toBe(1);
    expect([value(f, 'node_load1'), value(f, 'node_load5'), value(f, 'node_load15')]).toEqual([0.52, 0.61, 0.7]);
    expect(value(f, 'node_time_seconds')).toBe(1_800_000_000);
  });

  it('names meminfo fields like node_exporter, kB → bytes', async () => {
    const f = nodeFamilies(await makeSampler().sample());
    expect(value(f, 'node_memory_MemTotal_bytes')).toBe(16384000 * 1024);
    expect(value(f, 'node_memory_MemAvailable_bytes')).toBe(8192000 * 1024);
    expect(value(f, 'node_memory_SwapFree_bytes')).toBe(1048576 * 1024);
    expect(value(f, 'node_memory_Active_anon_bytes')).toBe(2048000 * 1024);
    expect(value(f, 'node_memory_HugePages_Total')).toBe(0);
    expect(f.find((x) => x.name === 'node_memory_HugePages_Total_bytes')).toBeUndefined();
  });

  it('reports filesystems with node_exporter exclusions, dedup, unescaping, read-only and device errors', async () => {
    const calls: string[] = [];
    const sampler = makeSampler(undefined, calls);
    const f = nodeFamilies(await sampler.sample());
    const root = { device: '/dev/vda1', fstype: 'ext4', mountpoint: '/' };
    expect(value(f, 'node_filesystem_size_bytes', root)).toBe(4096 * 1_000_000);
    expect(value(f, 'node_filesystem_free_bytes', root)).toBe(4096 * 400_000);
    expect(value(f, 'node_filesystem_avail_bytes', root)).toBe(4096 * 350_000);
    expect(value(f, 'node_filesystem_files', root)).toBe(65536);
    expect(value(f, 'node_filesystem_files_free', root)).toBe(60000);
    expect(value(f, 'node_filesystem_readonly', root)).toBe(0);
    expect(value(f, 'node_filesystem_readonly', { mountpoint: '/boot' })).toBe(1);
    expect(value(f, 'node_filesystem_size_bytes', { mountpoint: '/srv/my data' })).toBe(40960);
    const errors = f.find((x) => x.name === 'node_filesystem_device_error')!.samples;
    // /proc, /sys, /run… excluded by mount point; overlay and cgroup2 by type; NFS as a network fs; / once.
    expect(errors.map((s) => s.labels.mountpoint).sort()).toEqual(['/', '/boot', '/run', '/srv/broken', '/srv/my data', '/srv/stuck']);
    expect(errors.find((s) => s.labels.mountpoint === '/srv/broken')?.value).toBe(1);
    expect(errors.find((s) => s.labels.mountpoint === '/srv/stuck')?.value).toBe(1);
    // A failed statfs yields device_error only, like node_exporter.
    expect(value(f, 'node_filesystem_size_bytes', { mountpoint: '/srv/broken' })).toBeUndefined();
    expect(sampler.stuckMounts()).toEqual(['/srv/stuck']);
    // The stuck mount is not asked again while its first call hangs.
    await sampler.sample();
    expect(calls.filter((c) => c === '/srv/stuck')).toHaveLength(1);
    expect(calls).not.toContain('/mnt/nfs');
  });

  it('reads disk counters in bytes and seconds, excluding partitions and loop devices', async () => {
    const f = nodeFamilies(await makeSampler().sample());
    const devices = f.find((x) => x.name === 'node_disk_reads_completed_total')!.samples.map((s) => s.labels.device);
    expect(devices).toEqual(['vda', 'nvme0n1']);
    expect(value(f, 'node_disk_read_bytes_total', { device: 'vda' })).toBe(2736514 * 512);
    expect(value(f, 'node_disk_written_bytes_total', { device: 'vda' })).toBe(1884312 * 512);
    expect(value(f, 'node_disk_read_time_seconds_total', { device: 'vda' })).toBe(13.948);
    expect(value(f, 'node_disk_io_time_weighted_seconds_total', { device: 'vda' })).toBe(19.25);
    expect(value(f, 'node_disk_io_now', { device: 'nvme0n1' })).toBe(2);
    expect(value(f, 'node_disk_discarded_sectors_total', { device: 'vda' })).toBe(123960);
    expect(value(f, 'node_disk_flush_requests_total', { device: 'vda' })).toBe(1049);
    // An old kernel's line (no discard fields) yields no discard series for that device.
    expect(value(f, 'node_disk_discards_completed_total', { device: 'nvme0n1' })).toBeUndefined();
  });

  it('reads network counters (lo excluded) and link properties (lo included)', async () => {
    const f = nodeFamilies(await makeSampler().sample());
    expect(f.find((x) => x.name === 'node_network_receive_bytes_total')!.samples).toEqual([{ labels: { device: 'eth0' }, value: 263691874 }]);
    expect(value(f, 'node_network_receive_errs_total', { device: 'eth0' })).toBe(1);
    expect(value(f, 'node_network_receive_multicast_total', { device: 'eth0' })).toBe(7);
    expect(value(f, 'node_network_transmit_drop_total', { device: 'eth0' })).toBe(3);
    expect(value(f, 'node_network_transmit_colls_total', { device: 'eth0' })).toBe(0);
    expect(value(f, 'node_network_up', { device: 'eth0' })).toBe(1);
    expect(value(f, 'node_network_up', { device: 'lo' })).toBe(0);
    expect(value(f, 'node_network_up', { device: 'wlan0' })).toBe(0);
    expect(value(f, 'node_network_speed_bytes', { device: 'eth0' })).toBe(125_000_000);
    expect(value(f, 'node_network_speed_bytes', { device: 'lo' })).toBeUndefined();
    expect(value(f, 'node_network_mtu_bytes', { device: 'lo' })).toBe(65536);
    expect(value(f, 'node_network_info', { device: 'eth0' })).toBe(1);
    expect(f.find((x) => x.name === 'node_network_info')!.samples[0]!.labels).toEqual({
      address: '02:fc:00:00:00:01',
      broadcast: 'ff:ff:ff:ff:ff:ff',
      device: 'eth0',
      duplex: 'full',
      ifalias: 'uplink',
      operstate: 'up',
    });
  });

  it('reads PSI totals in seconds and uname', async () => {
    const f = nodeFamilies(await makeSampler().sample());
    expect(value(f, 'node_pressure_cpu_waiting_seconds_total')).toBe(13.325811);
    expect(value(f, 'node_pressure_io_waiting_seconds_total')).toBe(2.955714);
    expect(value(f, 'node_pressure_io_stalled_seconds_total')).toBe(2.749929);
    expect(value(f, 'node_pressure_memory_stalled_seconds_total')).toBe(0.5);
    expect(f.find((x) => x.name === 'node_uname_info')!.samples[0]!.labels).toEqual({
      sysname: 'Linux',
      release: '6.1.0-13-amd64',
      version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)',
      machine: 'x86_64',
      nodename: 'fixture-host',
      domainname: '(none)',
    });
  });

  it('leaves PSI out when the kernel has none, and counts a broken collector without failing the others', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-proc-'));
    try {
      cpSync(path.join(FIXTURE, 'proc'), dir, { recursive: true });
      rmSync(path.join(dir, 'pressure'), { recursive: true });
      rmSync(path.join(dir, 'loadavg'));
      const sampler = makeSampler(dir);
      const snapshot = await sampler.sample();
      const f = nodeFamilies(snapshot);
      expect(f.some((x) => x.name.startsWith('node_pressure_'))).toBe(false);
      expect(snapshot.failed).toEqual(['loadavg']);
      expect(sampler.errorCounts().loadavg).toBe(1);
      expect(value(f, 'node_load1')).toBeUndefined();
      expect(value(f, 'node_memory_MemTotal_bytes')).toBe(16384000 * 1024);
      expect(Object.keys(snapshot.durations).sort()).toContain('loadavg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
