/** @module Small file readers shared by the collectors; paths are always joined onto an injected root. */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

export async function readText(root: string, ...parts: string[]): Promise<string> {
  return readFile(path.join(root, ...parts), 'utf8');
}

/** The file's trimmed content, or undefined when the kernel refuses to read it (EINVAL on a down link, ENOENT). */
export async function readOptional(root: string, ...parts: string[]): Promise<string | undefined> {
  try {
    return (await readFile(path.join(root, ...parts), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function listDir(root: string, ...parts: string[]): Promise<string[]> {
  return (await readdir(path.join(root, ...parts))).sort();
}
