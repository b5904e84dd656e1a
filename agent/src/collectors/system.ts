/**
 * @module Kernel and OS facts as node_exporter's vmstat, filefd, entropy, time, os and selinux
 * collectors export them: /proc, /sys and os-release files, no child processes.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SystemFacts } from '../snapshot.js';
import { listDir, readOptional } from './read.js';

/** node_exporter 1.5's --collector.vmstat.fields default. */
export const VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

export function parseVmstat(text: string, keep: RegExp = VMSTAT_FIELDS): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [name, raw] = line.trim().split(/\s+/);
    if (name && raw !== undefined && keep.test(name)) out[name] = Number(raw);
  }
  return out;
}

/** os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = (m[2] as string).trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([\\$"`])/g, '$1');
    }
    out[(m[1] as string).toLowerCase()] = v;
  }
  return out;
}

/** The major.minor prefix of VERSION_ID as a number, as node_exporter's node_os_version has it (0 when there is none). */
export function osVersionNumber(versionId: string | undefined): number {
  const m = /^[0-9]+\.?[0-9]*/.exec(versionId ?? '');
  return m ? Number.parseFloat(m[0]) : 0;
}

/**
 * The zone abbreviation Go's time.Now().Zone() gives, from the TZif file's POSIX footer
 * ("CET-1CEST,M3.5.0,M10.5.0/3"): the standard name, or the daylight name when the current
 * offset is not the standard one. Intl has no such abbreviation for most zones ("GMT+1").
 */
export function zoneAbbreviation(tzif: Buffer, offsetSeconds: number): string | undefined {
  const text = tzif.toString('latin1');
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  const start = text.lastIndexOf('\n', end - 1);
  if (start < 0) return undefined;
  const footer = text.slice(start + 1, end);
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d{2}){0,2})?(<[^>]+>|[A-Za-z]{3,})?/.exec(footer);
  if (!m) return undefined;
  const unquote = (s: string) => s.replace(/^<|>$/g, '');
  const std = unquote(m[1] as string);
  if (m[2] === undefined || m[3] === undefined) return std;
  // POSIX offsets are west-positive hours[:minutes[:seconds]].
  const [h = '0', mi = '0', se = '0'] = m[2].split(':');
  const sign = h.startsWith('-') ? -1 : 1;
  const west = sign * (Math.abs(Number(h)) * 3600 + Number(mi) * 60 + Number(se));
  return -west === offsetSeconds ? std : unquote(m[3]);
}

/** Cached by path and mtime: these files change on upgrades, not per cycle. */
function cachedReader<T>(parse: (text: Buffer) => T): (file: string) => T | undefined {
  let cache: { file: string; mtimeMs: number; value: T } | undefined;
  return (file) => {
    try {
      const { mtimeMs } = statSync(file);
      if (cache && cache.file === file && cache.mtimeMs === mtimeMs) return cache.value;
      const value = parse(readFileSync(file));
      cache = { file, mtimeMs, value };
      return value;
    } catch {
      return undefined;
    }
  };
}

export interface SystemCollector {
  collect(): Promise<SystemFacts>;
}

export function createSystemCollector(options: { procRoot: string; sysRoot: string; rootfs: string; env?: Record<string, string | undefined> }): SystemCollector {
  const { procRoot, sysRoot, rootfs } = options;
  const env = options.env ?? process.env;
  const osRelease = cachedReader((b) => parseOsRelease(b.toString('utf8')));
  const tzif = cachedReader((b) => b);
  const selinuxConfig = cachedReader((b) => parseOsRelease(b.toString('utf8')).selinux);

  /** Go's local zone: $TZ ("" is UTC, ":Zone" or "Zone" under zoneinfo), else /etc/localtime. */
  function timeZone(now: Date): SystemFacts['timeZone'] {
    const offsetSeconds = -now.getTimezoneOffset() * 60;
    const tz = env.TZ;
    if (tz === '' || tz === 'UTC' || tz === ':UTC') return { name: 'UTC', offsetSeconds };
    const file = tz === undefined ? '/etc/localtime' : path.isAbsolute(tz.replace(/^:/, '')) ? tz.replace(/^:/, '') : path.join('/usr/share/zoneinfo', tz.replace(/^:/, ''));
    const data = tzif(file);
    const name = data ? zoneAbbreviation(data, offsetSeconds) : undefined;
    return { name: name ?? (offsetSeconds === 0 ? 'UTC' : ''), offsetSeconds };
  }

  async function clocksources(): Promise<SystemFacts['clocksources']> {
    const dirs = (await listDir(sysRoot, 'devices', 'system', 'clocksource')).filter((d) => /^clocksource\d+$/.test(d));
    return Promise.all(
      dirs.map(async (d) => {
        const [available, current] = await Promise.all([
          readOptional(sysRoot, 'devices', 'system', 'clocksource', d, 'available_clocksource'),
          readOptional(sysRoot, 'devices', 'system', 'clocksource', d, 'current_clocksource'),
        ]);
        return { device: d.slice('clocksource'.length), available: (available ?? '').split(/\s+/).filter(Boolean), current: current ?? '' };
      }),
    );
  }

  return {
    async collect() {
      const out: SystemFacts = {};
      const read = (...parts: string[]) => readOptional(procRoot, ...parts);
      const vmstat = await read('vmstat');
      if (vmstat !== undefined) out.vmstat = parseVmstat(vmstat);
      const fileNr = await read('sys', 'fs', 'file-nr');
      if (fileNr !== undefined) {
        const [allocated, , maximum] = fileNr.split(/\s+/).map(Number);
        if (allocated !== undefined && maximum !== undefined) out.filefd = { allocated, maximum };
      }
      const [avail, pool] = await Promise.all([read('sys', 'kernel', 'random', 'entropy_avail'), read('sys', 'kernel', 'random', 'poolsize')]);
      if (avail !== undefined && pool !== undefined) out.entropy = { availableBits: Number(avail), poolSizeBits: Number(pool) };
      try {
        out.clocksources = await clocksources();
      } catch {
        // No clocksource directory (some containers): node_exporter reports none either.
      }
      out.timeZone = timeZone(new Date());
      const release = osRelease(path.join(rootfs, 'etc', 'os-release')) ?? osRelease(path.join(rootfs, 'usr', 'lib', 'os-release'));
      if (release) out.osRelease = release;
      // selinuxfs mounted means SELinux is on; its enforce file holds the current mode.
      const enforce = await readOptional(sysRoot, 'fs', 'selinux', 'enforce');
      if (enforce === undefined) out.selinux = { enabled: false };
      else {
        const config = selinuxConfig(path.join(rootfs, 'etc', 'selinux', 'config'));
        const modes: Record<string, number> = { disabled: -1, permissive: 0, enforcing: 1 };
        out.selinux = { enabled: true, currentMode: Number(enforce), ...(config !== undefined && config in modes ? { configMode: modes[config] as number } : {}) };
      }
      return out;
    },
  };
}

/** The kernel's page size from the auxiliary vector (AT_PAGESZ), 4096 if it cannot be read. */
export function pageSize(procRoot: string): number {
  try {
    const auxv = readFileSync(path.join(procRoot, 'self', 'auxv'));
    for (let i = 0; i + 16 <= auxv.length; i += 16) {
      const type = auxv.readBigUInt64LE(i);
      if (type === 0n) break;
      if (type === 6n) return Number(auxv.readBigUInt64LE(i + 8));
    }
  } catch {
    // Not readable (or not a 64-bit little-endian host): the common size.
  }
  return 4096;
}
