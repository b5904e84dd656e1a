/** @module /proc/meminfo and /proc/loadavg. */
import type { LoadAverage, MeminfoField } from '../snapshot.js';
import { readText } from './read.js';

/** node_exporter's naming: "Active(anon)" → "Active_anon"; a kB unit means bytes and a `_bytes` suffix. */
export function parseMeminfo(text: string): MeminfoField[] {
  const fields: MeminfoField[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || !parts[0]?.endsWith(':')) continue;
    const name = parts[0].slice(0, -1).replace(/\((.*)\)/, '_$1');
    const raw = Number(parts[1]);
    if (!Number.isFinite(raw)) continue;
    const bytes = parts.length === 3;
    fields.push({ name, value: bytes ? raw * 1024 : raw, bytes });
  }
  return fields;
}

export async function collectMeminfo(procRoot: string): Promise<MeminfoField[]> {
  return parseMeminfo(await readText(procRoot, 'meminfo'));
}

export function parseLoadavg(text: string): LoadAverage {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined || [a, b, c].some(Number.isNaN)) throw new Error(`unexpected loadavg: ${text}`);
  return { load1: a, load5: b, load15: c };
}

export async function collectLoad(procRoot: string): Promise<LoadAverage> {
  return parseLoadavg(await readText(procRoot, 'loadavg'));
}
