/**
 * @module Process check: walks /proc/<pid> (no `ps`), matching the name in `comm` or a regex over
 * `cmdline`; reports count, CPU seconds (utime + stime) and resident memory (VmRSS).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { ProcessCheckConfig } from '../config.js';
import { compilePattern } from '../regex.js';
import type { CheckResult, ProcessDetails } from './result.js';

const USER_HZ = 100;

/** utime and stime from /proc/<pid>/stat; the command may contain spaces and parentheses, so split after the last ')'. */
export function parseProcStatCpu(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15.
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}

export async function scanProcesses(procRoot: string, check: Pick<ProcessCheckConfig, 'processName' | 'cmdlineRegex'>): Promise<ProcessDetails> {
  const cmdline = check.cmdlineRegex !== undefined ? compilePattern(check.cmdlineRegex) : undefined;
  const pids = (await readdir(procRoot)).filter((d) => /^\d+$/.test(d));
  const details: ProcessDetails = { count: 0, cpuSeconds: 0, residentBytes: 0 };
  await Promise.all(
    pids.map(async (pid) => {
      // Processes exit between readdir and read: such a pid simply does not match.
      try {
        const dir = path.join(procRoot, pid);
        if (check.processName !== undefined) {
          const comm = (await readFile(path.join(dir, 'comm'), 'utf8')).trim();
          if (comm !== check.processName) return;
        }
        if (cmdline !== undefined) {
          const args = (await readFile(path.join(dir, 'cmdline'), 'utf8')).split('\0').filter(Boolean).join(' ');
          if (!cmdline.test(args)) return;
        }
        const [stat, status] = await Promise.all([readFile(path.join(dir, 'stat'), 'utf8'), readFile(path.join(dir, 'status'), 'utf8')]);
        const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
        details.count += 1;
        details.cpuSeconds += parseProcStatCpu(stat);
        details.residentBytes += rss ? Number(rss[1]) * 1024 : 0;
      } catch {
        return;
      }
    }),
  );
  return details;
}

export async function runProcessCheck(check: ProcessCheckConfig, procRoot: string, clock: Clock): Promise<CheckResult> {
  const startedAtMs = clock.now();
  const t0 = clock.monotonic();
  const target = check.processName ?? `cmdline=~${check.cmdlineRegex}`;
  const base = { name: check.name, type: 'process' as const, target, startedAtMs };
  try {
    const details = await scanProcesses(procRoot, check);
    const success = details.count > 0;
    return { ...base, durationSeconds: (clock.monotonic() - t0) / 1000, success, process: details, ...(success ? {} : { error: 'no matching process' }) };
  } catch (err) {
    return { ...base, durationSeconds: (clock.monotonic() - t0) / 1000, success: false, error: (err as Error).message };
  }
}
