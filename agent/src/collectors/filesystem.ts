/**
 * @module Filesystem sizes from the mount table and statfs, the node_exporter way: same exclusion
 * defaults, same labels, duplicates (same device, fstype, mountpoint) reported once.
 *
 * statfs on a dead NFS server blocks forever inside libuv's small thread pool, so every call races
 * a timeout; a mount whose call has not come back is "stuck" and not asked again until it does
 * (node_exporter's stuckMounts). Network filesystems are skipped unless asked for.
 */
import { statfs as nodeStatfs } from 'node:fs/promises';
import path from 'node:path';
import type { Pattern } from '../regex.js';
import type { FilesystemStats } from '../snapshot.js';
import { readText } from './read.js';

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}
export type Statfs = (mountpoint: string) => Promise<StatfsResult>;

export interface MountEntry {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

export interface FilesystemCollectorOptions {
  procRoot: string;
  /** Prefix joined onto every mount point before statfs. */
  rootfs: string;
  mountPointsExclude: Pattern;
  fsTypesExclude: Pattern;
  networkFsTypes: Pattern;
  includeNetwork: boolean;
  timeoutMs: number;
  statfs?: Statfs;
}

/** Mount tables escape space, tab, newline and backslash as octal (\040). */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 4) continue;
    out.push({
      device: unescapeMount(parts[0] as string),
      mountpoint: unescapeMount(parts[1] as string),
      fstype: parts[2] as string,
      options: (parts[3] as string).split(','),
    });
  }
  return out;
}

export interface FilesystemCollector {
  collect(): Promise<FilesystemStats[]>;
  /** Mount points whose statfs has not returned yet. */
  stuck(): string[];
}

export function createFilesystemCollector(options: FilesystemCollectorOptions): FilesystemCollector {
  const statfs: Statfs = options.statfs ?? ((p) => nodeStatfs(p));
  const stuck = new Set<string>();

  async function readMountTable(): Promise<string> {
    // node_exporter prefers PID 1's view (the host's, when the agent runs in a container with hostPID).
    try {
      return await readText(options.procRoot, '1', 'mounts');
    } catch {
      return readText(options.procRoot, 'mounts');
    }
  }

  async function statOne(mount: MountEntry): Promise<FilesystemStats> {
    const base = { device: mount.device, fstype: mount.fstype, mountpoint: mount.mountpoint };
    const failed: FilesystemStats = { ...base, sizeBytes: 0, freeBytes: 0, availBytes: 0, files: 0, filesFree: 0, readonly: 0, deviceError: 1 };
    if (stuck.has(mount.mountpoint)) return failed;
    const call = statfs(path.join(options.rootfs, mount.mountpoint));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      timer.unref();
    });
    let result: StatfsResult | 'timeout';
    try {
      result = await Promise.race([call, timeout]);
    } catch {
      return failed;
    } finally {
      clearTimeout(timer);
    }
    if (result === 'timeout') {
      stuck.add(mount.mountpoint);
      call.then(
        () => stuck.delete(mount.mountpoint),
        () => stuck.delete(mount.mountpoint),
      );
      return failed;
    }
    const b = result.bsize;
    return {
      ...base,
      sizeBytes: result.blocks * b,
      freeBytes: result.bfree * b,
      availBytes: result.bavail * b,
      files: result.files,
      filesFree: result.ffree,
      readonly: mount.options.includes('ro') ? 1 : 0,
      deviceError: 0,
    };
  }

  return {
    stuck: () => [...stuck].sort(),
    async collect() {
      const seen = new Set<string>();
      const wanted: MountEntry[] = [];
      for (const mount of parseMounts(await readMountTable())) {
        if (options.mountPointsExclude.test(mount.mountpoint)) continue;
        if (options.fsTypesExclude.test(mount.fstype)) continue;
        if (!options.includeNetwork && options.networkFsTypes.test(mount.fstype)) continue;
        const key = `${mount.device}\0${mount.fstype}\0${mount.mountpoint}`;
        if (seen.has(key)) continue;
        seen.add(key);
        wanted.push(mount);
      }
      return Promise.all(wanted.map(statOne));
    },
  };
}
