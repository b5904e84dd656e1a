/** @module /proc/diskstats in node_exporter's units: sectors × 512 → bytes, ms → seconds. */
import type { Pattern } from '../regex.js';
import type { DiskStats } from '../snapshot.js';
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
