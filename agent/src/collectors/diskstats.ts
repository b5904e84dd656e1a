/** @module /proc/diskstats in node_exporter's units: sectors × 512 → bytes, ms → seconds. */
import type { Pattern } from '../regex.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DiskInfo, DiskStats } from '../snapshot.js';
import { readText } from './read.js';

const SECTOR_BYTES = 512;

export function parseDiskstats(text: string, deviceExclude: Pattern): DiskStats[] {
  const disks: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const device = parts[2];
    if (parts.length < 14 || device === undefined || deviceExclude.test(device)) continue;
    const n = (i: number) => Number(parts[i + 2]);
    const disk: DiskStats = {
      device,
      major: parts[0] as string,
      minor: parts[1] as string,
      readsCompleted: n(1),
      readsMerged: n(2),
      readBytes: n(3) * SECTOR_BYTES,
      readTimeSeconds: n(4) / 1000,
      writesCompleted: n(5),
      writesMerged: n(6),
      writtenBytes: n(7) * SECTOR_BYTES,
      writeTimeSeconds: n(8) / 1000,
      ioNow: n(9),
      ioTimeSeconds: n(10) / 1000,
      ioTimeWeightedSeconds: n(11) / 1000,
    };
    // Kernel 4.18 added discard fields, 5.5 flush fields.
    if (parts.length >= 18) {
      disk.discardsCompleted = n(12);
      disk.discardsMerged = n(13);
      disk.discardedSectors = n(14);
      disk.discardTimeSeconds = n(15) / 1000;
    }
    if (parts.length >= 20) {
      disk.flushRequests = n(16);
      disk.flushRequestsTimeSeconds = n(17) / 1000;
    }
    disks.push(disk);
  }
  return disks;
}

export async function collectDiskstats(procRoot: string, deviceExclude: Pattern): Promise<DiskStats[]> {
  return parseDiskstats(await readText(procRoot, 'diskstats'), deviceExclude);
}

/** udev's database entry "E:KEY=value" lines; other line types are not properties. */
export function parseUdevData(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) out[line.slice(2, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * node_disk_info for each disk diskstats reports, from /run/udev/data/b<major>:<minor> when udev
 * keeps one (labels are empty strings otherwise, as in node_exporter). The serial is the one on
 * the label (SCSI_IDENT_SERIAL) or else ID_SERIAL_SHORT.
 */
export function collectDiskInfo(disks: readonly DiskStats[], udevDataDir: string): DiskInfo[] {
  return disks.map((d) => {
    let p: Record<string, string> = {};
    try {
      p = parseUdevData(readFileSync(path.join(udevDataDir, `b${d.major}:${d.minor}`), 'utf8'));
    } catch {
      // No udev database (containers, minimal systems): the info series still names the device.
    }
    const info: DiskInfo = {
      device: d.device,
      major: d.major,
      minor: d.minor,
      path: p.ID_PATH ?? '',
      wwn: p.ID_WWN ?? '',
      model: p.ID_MODEL ?? '',
      serial: p.SCSI_IDENT_SERIAL || (p.ID_SERIAL_SHORT ?? ''),
      revision: p.ID_REVISION ?? '',
    };
    if (p.ID_FS_TYPE) info.filesystem = { type: p.ID_FS_TYPE, usage: p.ID_FS_USAGE ?? '', uuid: p.ID_FS_UUID ?? '', version: p.ID_FS_VERSION ?? '' };
    if (p.DM_NAME) info.deviceMapper = { name: p.DM_NAME, uuid: p.DM_UUID ?? '', vgName: p.DM_VG_NAME ?? '', lvName: p.DM_LV_NAME ?? '', lvLayer: p.DM_LV_LAYER ?? '' };
    return info;
  });
}
