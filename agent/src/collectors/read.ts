/**
 * @module Small file readers shared by the collectors; paths are always joined onto an injected root.
 * They read synchronously on purpose: /proc and /sys files are produced from kernel memory and
 * never wait on a disk, while fs/promises costs four thread-pool round trips per file (open,
 * fstat, read, close), which made file reading the largest share of the agent's CPU per cycle.
 * The only call that can hang, statfs on a dead network mount, stays asynchronous with a timeout
 * (filesystem.ts). The functions keep their promise signatures so collectors do not care.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export async function readText(root: string, ...parts: string[]): Promise<string> {
  return readFileSync(path.join(root, ...parts), 'utf8');
}

/** The file's trimmed content, or undefined when the kernel refuses to read it (EINVAL on a down link, ENOENT). */
export async function readOptional(root: string, ...parts: string[]): Promise<string | undefined> {
  try {
    return readFileSync(path.join(root, ...parts), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export async function listDir(root: string, ...parts: string[]): Promise<string[]> {
  return readdirSync(path.join(root, ...parts)).sort();
}
